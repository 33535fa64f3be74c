/**
 * `npm run demo`: spa end to end in a throw-away namespace lab, as a transcript a newcomer can
 * follow (src/demo/). Exit code 0 only if every check passed. Ctrl-C, SIGTERM and the
 * watchdog tear the lab down before exiting.
 */
import { DemoRun } from './demo/run-demo.js';
import { Transcript } from './demo/transcript.js';

/** The demo takes about 25 s; past this something hangs. */
const WATCHDOG_MS = 120_000;

const t = new Transcript();
const demo = new DemoRun(t);

let stopping = false;

/** Tear down, then exit. A second signal exits at once (the lab's own handler has run by then). */
function stop(why: string, code: number): void {
  if (stopping) process.exit(code);
  stopping = true;
  t.line();
  t.line(`${why}: tearing the lab down …`);
  t.silence();
  void demo.cleanup().finally(() => process.exit(code));
}

// `on`, not `once`: the lab's handler re-raises the signal (killing us before the cleanup) when
// it is the only listener left.
process.on('SIGINT', () => stop('interrupted', 130));
process.on('SIGTERM', () => stop('terminated', 143));
const watchdog = setTimeout(() => stop(`still running after ${WATCHDOG_MS / 1000} s`, 1), WATCHDOG_MS);
watchdog.unref();

const ok = await demo.run();
process.exit(ok ? 0 : 1);
