/*
 * Test helper for cap-binding.test.ts (built by the test with cc and Node's headers, not
 * shipped): bytes the C heap holds in use, from glibc's mallinfo2(). A native leak in a
 * binding (a C++ object, a libpcap program, a uv handle) is memory malloc hands out and never
 * gets back, so it shows here exactly; RSS also moves with V8's heap and malloc's arenas, by a
 * megabyte either way with no cap at all (docs/capture.md).
 */
#include <malloc.h>
#include <node_api.h>

static napi_value in_use(napi_env env, napi_callback_info info) {
  (void)info;
  struct mallinfo2 m = mallinfo2();
  napi_value v;
  napi_create_double(env, (double)(m.uordblks + m.hblkhd), &v);
  return v;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "inUse", NAPI_AUTO_LENGTH, in_use, NULL, &fn);
  napi_set_named_property(env, exports, "inUse", fn);
  return exports;
}
