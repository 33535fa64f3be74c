/**
 * The lab's small C helpers (a raw-socket prober, the benchmark's flood) are compiled with gcc
 * into a run's temp dir: tsc does not build them, so they are read from the source tree.
 */
import { spawnSync } from 'node:child_process';
/** `gcc -O2 -Wall -o OUT SOURCE`; throws with gcc's message and how to get gcc. */
export function compileC(source, out) {
  const r = spawnSync('gcc', ['-O2', '-Wall', '-o', out, source], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      `compiling ${source} failed: ${r.error ? String(r.error) : r.stderr}\n` +
        'install gcc (apt-get install gcc; `npm test` and `npm run bench` do it)',
    );
  }
  return out;
}
//# sourceMappingURL=compile-c.js.map
