/*
 * sd_notify.node: send one datagram to systemd's notification socket ($NOTIFY_SOCKET).
 * Node has no AF_UNIX SOCK_DGRAM socket in its core, and the message must come from the
 * daemon's own pid (NotifyAccess=main), so it cannot be handed to a helper process; these few
 * lines are the whole of it (protocol: sd_notify(3)). A path starting with '@' is an abstract
 * socket: its first byte becomes NUL and the address length counts the name exactly.
 *
 *   send(path: string, message: Buffer): number   0, or -errno
 */
#include <errno.h>
#include <node_api.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static napi_value send_datagram(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_value result;
  struct sockaddr_un sa;
  char path[sizeof sa.sun_path + 1];
  size_t plen = 0;
  void *data = NULL;
  size_t len = 0;
  bool is_buffer = false;
  int rc = -EINVAL;

  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) goto done;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &plen) != napi_ok) goto done;
  if (napi_is_buffer(env, argv[1], &is_buffer) != napi_ok || !is_buffer) goto done;
  if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) goto done;
  /* Longer than sun_path (the copy filled the buffer) or empty: not an address. */
  if (plen == 0 || plen >= sizeof sa.sun_path) goto done;

  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, path, plen);
  socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
  if (path[0] == '@')
    sa.sun_path[0] = '\0'; /* abstract: the name is exactly plen bytes */
  else
    alen += 1; /* a path: with its terminating NUL */

  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    rc = -errno;
    goto done;
  }
  ssize_t n;
  do
    n = sendto(fd, data, len, MSG_NOSIGNAL, (struct sockaddr *)&sa, alen);
  while (n < 0 && errno == EINTR);
  rc = n < 0 ? -errno : 0;
  close(fd);

done:
  napi_create_int32(env, rc, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "send", NAPI_AUTO_LENGTH, send_datagram, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "send", fn) != napi_ok) return NULL;
  return exports;
}
