/**
 * Step 5, in-process (no lab): does the cost per packet depend on the number of clients, and
 * how long does a 10,000-client configuration take to load?
 *
 * Cost per packet: the protocol core's server path (`verifyKnock` over a `LookupTable` holding
 * every client's tags for the steps of the ±30 s window, as the daemon builds it), with 1,
 * 1,000 and 10,000 clients; forged packets (random bytes of the right size) and valid knocks.
 *
 * Config load: a config written by `spa-server init` plus generated [clients.NAME] sections,
 * read by the server's own `loadConfig`; then "ready": also every client's subkeys derived and
 * the lookup table built, which the daemon does before it listens.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ClientKeys,
  DEFAULT_TIME_WINDOW,
  deriveClientKeys,
  deriveServerKeys,
  encodeSecret,
  LookupMask,
  LookupTable,
  lookupSteps,
  ONE_TIME_ID_LENGTH,
  PACKET_LENGTH,
  PROTOCOL_VERSION,
  type PreparedClient,
  prepareClient,
  sealKnock,
  verifyKnock,
} from '@spa/shared';
import type { BenchOptions } from './options.js';
import type { ConfigLoadResult, ScalingResult } from './results.js';
import { initSpa } from './spa.js';
import { summarize } from './stats.js';

const STEP_SECONDS = 30;
const POOL = 1024;
const rand = (n: number) => new Uint8Array(randomBytes(n));

interface BenchClient {
  keys: ClientKeys;
  prepared: PreparedClient;
}

function buildTable(clients: readonly BenchClient[], nowMs: number): LookupTable<BenchClient> {
  const table = new LookupTable<BenchClient>();
  const { first, last } = lookupSteps(nowMs, STEP_SECONDS, DEFAULT_TIME_WINDOW);
  for (let s = first; s <= last; s++)
    table.addStep(
      s,
      clients.map((c) => ({ client: c, lookupKey: c.keys.lookup })),
    );
  return table;
}

const ROUNDS = 5;

/** Microseconds per call of `verify`: the median of ROUNDS timed rounds of `packets` calls each. */
function timePerPacket(
  pool: readonly Uint8Array[],
  packets: number,
  verify: (p: Uint8Array) => boolean,
): number {
  let ok = 0;
  for (let i = 0; i < Math.min(5000, packets); i++) if (verify(pool[i % pool.length]!)) ok++; // JIT warm-up
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < packets; i++) if (verify(pool[i % pool.length]!)) ok++;
    rounds.push(Number(process.hrtime.bigint() - t0) / 1000 / packets);
  }
  if (ok < 0) throw new Error('unreachable'); // keeps the results alive
  return summarize(rounds).p50;
}

function scalingRun(n: number, packets: number): ScalingResult {
  const server = deriveServerKeys(rand(32));
  const mask = new LookupMask(server.header);
  const serverId = rand(16);
  const clients: BenchClient[] = Array.from({ length: n }, () => {
    const keys = deriveClientKeys(rand(32));
    return { keys, prepared: prepareClient(keys) };
  });
  const now = Date.now();
  const ctx = {
    mask,
    table: buildTable(clients, now),
    prepared: (c: BenchClient) => c.prepared,
    serverId,
    stepSeconds: STEP_SECONDS,
    window: DEFAULT_TIME_WINDOW,
    nowMs: now,
  };
  const forged = Array.from({ length: POOL }, () => rand(PACKET_LENGTH));
  const valid = Array.from({ length: Math.min(POOL, Math.max(n, 64)) }, (_, i) =>
    sealKnock({
      keys: clients[i % n]!.keys,
      mask,
      stepSeconds: STEP_SECONDS,
      nonce: rand(24),
      payload: {
        version: PROTOCOL_VERSION,
        timestampMs: now,
        oneTimeId: rand(ONE_TIME_ID_LENGTH),
        serverId,
        durationSeconds: 0,
        target: { kind: 'source' },
        access: [{ kind: 'service', name: 'ssh' }],
      },
    }),
  );
  const verify = (p: Uint8Array) => verifyKnock(p, ctx).ok;
  if (!verify(valid[0]!)) throw new Error('scaling bench: a valid knock did not verify');
  return {
    clients: n,
    forgedUs: timePerPacket(forged, packets, verify),
    validUs: timePerPacket(valid, Math.max(1, Math.floor(packets / 4)), verify),
    via: 'verifyKnock + LookupTable (@spa/shared)',
  };
}

export async function scalingPhase(opts: BenchOptions, log: (s: string) => void): Promise<ScalingResult[]> {
  const out: ScalingResult[] = [];
  scalingRun(opts.scalingClients[0] ?? 1, opts.scalingPackets); // warm-up: JIT and allocator, not reported
  for (const n of opts.scalingClients) {
    const r = scalingRun(n, opts.scalingPackets);
    out.push(r);
    log(`   ${n} clients: forged ${r.forgedUs.toFixed(2)} µs, valid ${r.validUs.toFixed(1)} µs per packet`);
  }
  return out;
}

type LoadConfig = (path: string) => { clients: ReadonlyMap<string, { keys: ClientKeys }> };

/** The server's `loadConfig`: from @spa/server's exports if it has them, else from its build. */
async function serverLoadConfig(): Promise<LoadConfig | undefined> {
  const candidates = [
    '@spa/server',
    new URL('../../../../packages/server/dist/src/config/index.js', import.meta.url).href,
  ];
  for (const spec of candidates) {
    try {
      const mod = (await import(spec)) as { loadConfig?: unknown };
      if (typeof mod.loadConfig === 'function') return mod.loadConfig as LoadConfig;
    } catch {
      // not built or not exported
    }
  }
  return undefined;
}

export async function configLoadPhase(
  dir: string,
  opts: BenchOptions,
  log: (s: string) => void,
  notes: string[],
): Promise<ConfigLoadResult | undefined> {
  const loadConfig = await serverLoadConfig();
  if (!loadConfig) {
    notes.push("config load not measured: the server's loadConfig could not be imported");
    return undefined;
  }
  const n = opts.configLoadClients;
  const scratch = join(dir, 'scaling');
  mkdirSync(scratch, { recursive: true });
  const { configPath } = initSpa(scratch, 'lo', '192.0.2.1', 22);
  const sections: string[] = [];
  for (let i = 0; i < n; i++) {
    sections.push(`[clients.c${i}]\nkey = "${encodeSecret('client', rand(32))}"\nservices = [ "ssh" ]\n`);
  }
  appendFileSync(configPath, '\n' + sections.join('\n'));
  const t0 = performance.now();
  const config = loadConfig(configPath);
  const loadMs = performance.now() - t0;
  if (config.clients.size < n) throw new Error(`loaded ${config.clients.size} clients, wrote ${n}`);
  const clients = [...config.clients.values()].map((c) => ({
    keys: c.keys,
    prepared: prepareClient(c.keys),
  }));
  buildTable(clients, Date.now());
  const readyMs = performance.now() - t0;
  log(
    `   ${n} clients: loadConfig ${loadMs.toFixed(0)} ms; with keys derived and lookup table built ${readyMs.toFixed(0)} ms`,
  );
  return { clients: n, ms: loadMs, readyMs, via: "spa-server's loadConfig" };
}
