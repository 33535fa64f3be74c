/**
 * Preloaded into a daemon (`node --import …/clock-shim.js`) to step its wall clock without
 * touching the host's: `Date.now()` returns the real time plus an offset (ms) read from the file
 * named by SPA_CLOCK_SHIM_FILE, at load and again on every SIGWINCH. Each read is acknowledged
 * on stderr ("[clock-shim] N offset MS"), so a test knows when the step took effect.
 * `performance.now()` is left alone, as a real step of CLOCK_REALTIME leaves CLOCK_MONOTONIC.
 */
import { readFileSync } from 'node:fs';

const file = process.env.SPA_CLOCK_SHIM_FILE;
if (file) {
  const realNow = Date.now.bind(Date);
  let offsetMs = 0;
  let reads = 0;
  const read = (): void => {
    const n = Number(readFileSync(file, 'utf8').trim());
    offsetMs = Number.isFinite(n) ? n : 0;
    reads++;
    process.stderr.write(`[clock-shim] ${reads} offset ${offsetMs}\n`);
  };
  read();
  Date.now = () => realNow() + offsetMs;
  process.on('SIGWINCH', read);
}
