/**
 * spa-server as a system under test, set up the way a user does it: `spa-server init` and
 * `add-client` (real CLI, config in the run's temp dir), then `spa-server run` in the server's
 * namespace with its defaults (rotating knock port, nftables). Knocks are sealed in-process by
 * the client library (`buildPacket`) from the profile `add-client` printed, and sent by the
 * prober like fwknop's.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPacket, profileKeys } from '@spa/client';
import { type ClientProfile, knockPort, parseProfile, timeStep } from '@spa/shared';
import type { Lab, LabProcess } from '../lab/index.js';
import type { GuardedSystem, Knock } from './system.js';

const ROOT = new URL('../../../../', import.meta.url).pathname;
export const SPA_SERVER_BIN = join(ROOT, 'packages/server/bin/spa-server.js');
export const SPA_CLIENT_BIN = join(ROOT, 'packages/client/bin/spa-client.js');
const START_TIMEOUT_MS = 15_000;
export const SPA_SERVICE = 'ssh';

/** Runs spa-server on this host, or in namespace `ns` (where init finds the capture interface). */
function cli(args: readonly string[], ns?: string): string {
  const argv = [process.execPath, SPA_SERVER_BIN, ...args];
  const [cmd, ...rest] = ns ? ['ip', 'netns', 'exec', ns, ...argv] : argv;
  const r = spawnSync(cmd!, rest, { encoding: 'utf8', timeout: 30_000 });
  if (r.error || r.status !== 0) {
    throw new Error(`spa-server ${args.join(' ')} failed: ${r.error ? String(r.error) : r.stderr}`);
  }
  return r.stdout;
}

export function spaVersion(): string {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'packages/server/package.json'), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
}

export interface SpaSetup {
  configPath: string;
  profile: ClientProfile;
  profileUri: string;
}

/** `spa-server init` + `add-client`: a config guarding `ssh=PORT/tcp` and one client's profile. */
export function initSpa(
  dir: string,
  ifname: string,
  host: string,
  guardedPort: number,
  ns?: string,
): SpaSetup {
  const configPath = join(dir, 'server.toml');
  cli(
    [
      'init',
      '--config',
      configPath,
      '--interface',
      ifname,
      '--service',
      `${SPA_SERVICE}=${guardedPort}/tcp`,
      '--name',
      'lab',
      '--host',
      host,
      '--state-dir',
      join(dir, 'state'),
    ],
    ns,
  );
  const out = cli(['add-client', '--config', configPath, '--services', SPA_SERVICE, 'bench']);
  const profileUri = out.split('\n').find((l) => l.startsWith('spa://'));
  if (!profileUri) throw new Error(`spa-server add-client printed no spa:// profile:\n${out}`);
  return { configPath, profile: parseProfile(profileUri), profileUri };
}

export interface SpaOptions {
  dir: string;
  guardedPort: number;
  grantSeconds: number;
  /** `[fwknop_clients]` to add (random keys, HMAC-SHA256, service ssh): the fwknop port is then captured. */
  fwknopClients?: number;
}

/** Appends `n` `[fwknop_clients.fwN]` tables with random keys to the config. */
export function addFwknopClients(configPath: string, n: number): void {
  const tables = Array.from(
    { length: n },
    (_, i) =>
      `\n[fwknop_clients.fw${i + 1}]\nkey_base64 = "${randomBytes(32).toString('base64')}"\n` +
      `hmac_key_base64 = "${randomBytes(64).toString('base64')}"\nservices = ["${SPA_SERVICE}"]\n`,
  );
  appendFileSync(configPath, tables.join(''));
}

export class Spa implements GuardedSystem {
  readonly name = 'spa' as const;
  readonly base64 = false;
  readonly packetSize = 336;
  readonly label = `spa-server ${spaVersion()}`;
  readonly guardedPort: number;
  readonly grantSeconds: number;
  readonly setup: SpaSetup;
  private readonly proc: LabProcess;
  private readonly keys: ReturnType<typeof profileKeys>;

  private constructor(proc: LabProcess, setup: SpaSetup, o: SpaOptions) {
    this.proc = proc;
    this.setup = setup;
    this.keys = profileKeys(setup.profile);
    this.guardedPort = o.guardedPort;
    this.grantSeconds = o.grantSeconds;
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  static async start(lab: Lab, o: SpaOptions): Promise<Spa> {
    const server = lab.hosts.server;
    const setup = initSpa(o.dir, server.ifname, server.ipv4, o.guardedPort, server.ns);
    if (o.fwknopClients) addFwknopClients(setup.configPath, o.fwknopClients);
    const proc = lab.spawn(server, [
      process.execPath,
      SPA_SERVER_BIN,
      'run',
      '--config',
      setup.configPath,
      '--log-format',
      'json',
    ]);
    await proc.waitForLine(/"msg":"listening"/, START_TIMEOUT_MS);
    return new Spa(proc, setup, o);
  }

  /** The knock port of the step at `nowMs` (what a client, or an attacker with the secret, computes). */
  portAt(nowMs: number, stepOffset = 0): number {
    const step = timeStep(nowMs, this.setup.profile.stepSeconds) + stepOffset;
    return knockPort(this.keys.server.port, step, this.setup.profile.knock);
  }

  /** Every port the server watches at some moment in [nowMs, nowMs + spanMs]: steps T-1 .. T(end)+1. */
  watchedDuring(nowMs: number, spanMs: number): number[] {
    const step = this.setup.profile.stepSeconds;
    const last = timeStep(nowMs + spanMs, step) - timeStep(nowMs, step) + 1;
    const ports = new Set<number>();
    for (let k = -1; k <= last; k++) ports.add(this.portAt(nowMs, k));
    return [...ports];
  }

  /** A port the server watched some steps ago and does not watch during the next `spanMs`. */
  stalePort(nowMs: number, spanMs: number): number {
    const watched = new Set(this.watchedDuring(nowMs, spanMs));
    for (let k = 2; k < 100; k++) {
      const p = this.portAt(nowMs, -k);
      if (!watched.has(p)) return p;
    }
    throw new Error('no stale knock port found');
  }

  /** Lets in the packet's source address (the prober sends it from `_source`), like `spa-client open`. */
  async knock(_source: string): Promise<Knock> {
    const now = Date.now();
    const bytes = buildPacket(
      this.setup.profile,
      this.keys,
      { service: SPA_SERVICE, durationSeconds: this.grantSeconds },
      now,
      (n) => new Uint8Array(randomBytes(n)),
    );
    return { bytes, port: this.portAt(now) };
  }

  /** Asks the daemon to log its counters (SIGUSR1) and returns the logged line, if any. */
  async counters(): Promise<Record<string, unknown> | undefined> {
    const lines: string[] = [];
    const off = this.proc.onLine((l) => lines.push(l));
    if (this.pid > 0) process.kill(this.pid, 'SIGUSR1');
    await new Promise((r) => setTimeout(r, 300));
    off();
    for (const l of lines.reverse()) {
      if (!l.includes('counter')) continue;
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        // not JSON
      }
    }
    return undefined;
  }

  /** The daemon's counters (packets by outcome: rejection reason, grant, capture shedding). */
  async counterValues(): Promise<Record<string, number> | undefined> {
    const counters = (await this.counters())?.counters;
    if (!counters || typeof counters !== 'object') return undefined;
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(counters as Record<string, unknown>))
      if (typeof v === 'number') out[k] = v;
    return out;
  }

  tail(): string {
    return this.proc.tail();
  }

  async stop(): Promise<void> {
    await this.proc.kill('SIGTERM', 3000);
  }
}

/** What the counters grew by between two readings; undefined if either is missing. */
export function counterDelta(
  before: Record<string, number> | undefined,
  after: Record<string, number> | undefined,
): Record<string, number> | undefined {
  if (!before || !after) return undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/** Packets the daemon handled (every counted outcome). */
export const handledCount = (delta: Record<string, number>): number =>
  Object.values(delta).reduce((a, b) => a + b, 0);
