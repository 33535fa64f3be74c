/**
 * Step 4b's measuring process, run as root in the server's namespace:
 *   node --expose-gc rolls-child.js CONFIG STATE_DIR ROLLS
 * The real daemon (Daemon.start with the bench's config, its real libpcap capture on the
 * configured interface) with a simulated clock and no firewall (a null backend: the rolls do
 * not touch it). Each roll is what the step timer does, `pipeline.roll(now)`, and the daemon
 * re-arms the capture filter on the next turn; ROLLS steps take seconds instead of ROLLS × 30 s.
 * Prints one JSON line: RSS after a warm-up and after the rolls (both after GC), in MB.
 */
import { createRequire } from 'node:module';

const [configPath, stateDir, rollsArg] = process.argv.slice(2);
const ROLLS = Number(rollsArg);
const WARMUP = 200;
const server = new URL('../../../../packages/server/', import.meta.url);
const dist = (p: string) => new URL(`dist/src/${p}`, server).href;

type Logger = { level: string };
const pino = createRequire(new URL('package.json', server))('pino') as (o: object) => Logger;
const { Daemon } = (await import(dist('daemon/daemon.js'))) as {
  Daemon: {
    start(
      o: object,
    ): Promise<{ pipeline: { roll(ms: number): boolean; step: number }; stop(): Promise<void> }>;
  };
};
const { loadConfig } = (await import(dist('config/load.js'))) as {
  loadConfig: (p: string) => { stepSeconds: number } & Record<string, unknown>;
};

const config = { ...loadConfig(configPath!), stateDir };
let now = Date.now();
const start = now;
const firewall = {
  name: 'none',
  start: async () => {},
  grant: async () => {},
  list: async () => [],
  revoke: async () => 0,
  stop: async () => {},
};
// ROLLS_SOURCE=none: no capture at all (a source that drops everything), to tell the capture's
// share of any growth from the rest of the roll.
const noSource = { start: () => {}, setFilter: () => {}, stop: () => {} };
const daemon = await Daemon.start({
  configPath,
  logger: pino({ level: 'warn' }),
  deps: {
    // The simulated wall clock moves forward only; the monotonic one moves with it.
    clock: { now: () => now, monotonic: () => now - start },
    firewall,
    loadConfig: () => config,
    ...(process.env.ROLLS_SOURCE === 'none' ? { source: noSource } : {}),
  },
});
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const turn = () => new Promise((r) => setImmediate(r));
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  return process.memoryUsage().rss / 2 ** 20;
};
const roll = async (n: number) => {
  for (let i = 0; i < n; i++) {
    now += config.stepSeconds * 1000;
    daemon.pipeline.roll(now);
    await turn(); // the re-arm (setImmediate) runs
  }
};
await roll(WARMUP);
const warmMb = await settle();
const started = performance.now();
/** RSS (after GC) every tenth of the run, and the JavaScript heap's committed size at the end. */
const series: number[] = [];
for (let done = 0; done < ROLLS; ) {
  const n = Math.min(Math.ceil(ROLLS / 10), ROLLS - done);
  await roll(n);
  done += n;
  series.push(Math.round((await settle()) * 10) / 10);
}
const rollMs = (performance.now() - started) / ROLLS;
const endMb = await settle();
const { heapTotal, external } = process.memoryUsage();
await daemon.stop();
const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
process.stdout.write(
  `${JSON.stringify({ rolls: ROLLS, warmMb, endMb, rollMs, series, heapTotalMb: mb(heapTotal), externalMb: mb(external) })}\n`,
);
process.exit(0);
