/** Test helpers: profiles with fresh keys, temp profile files, a fake world for the deps. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ClientProfile,
  DEFAULT_TIME_WINDOW,
  deriveClientKeys,
  deriveServerKeys,
  encodeProfile,
  LookupMask,
  LookupTable,
  lookupSteps,
  prepareClient,
  verifyKnock,
} from '@spa/shared';
import type { KnockDeps } from '../src/knock-service.js';
import type { Endpoint } from '../src/resolve.js';

/** Deterministic bytes (xorshift32): tests that draw randomness stay reproducible. */
export function seededRandom(seed = 1): (n: number) => Uint8Array {
  let x = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  };
}

// Knock memory (sent-sequences.ts) of the tests, in and out of process: a temp dir, not ~/.local/state.
// makeProfile's keys are deterministic, so a shared store would refuse a rerun within a minute.
const stateDir = mkdtempSync(join(tmpdir(), 'spa-client-state-'));
process.env.SPA_CLIENT_STATE_DIR = stateDir;
process.on('exit', () => rmSync(stateDir, { recursive: true, force: true }));

let counter = 0;
export function makeProfile(over: Partial<ClientProfile> = {}): ClientProfile {
  const r = seededRandom(++counter * 7919);
  return {
    server: 'web1',
    client: 'alice',
    host: '192.0.2.10',
    serverId: r(16),
    serverSecret: r(32),
    clientSecret: r(32),
    knock: { mode: 'rotating', range: [40000, 49999] },
    stepSeconds: 30,
    services: { ssh: { protocol: 'tcp', port: 22 }, https: { protocol: 'tcp', port: 443 } },
    sequence: { length: 4, protocol: 'mixed', range: [50000, 59999], gapMs: 5000 },
    ...over,
  };
}

export function makeUri(over: Partial<ClientProfile> = {}): string {
  return encodeProfile(makeProfile(over));
}

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'spa-client-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** What the server would say about a packet (its lookup table holds the window's steps). */
export function serverVerify(profile: ClientProfile, packet: Uint8Array, nowMs: number) {
  const sk = deriveServerKeys(profile.serverSecret);
  const ck = deriveClientKeys(profile.clientSecret);
  const table = new LookupTable<string>();
  const { first, last } = lookupSteps(nowMs, profile.stepSeconds, DEFAULT_TIME_WINDOW);
  for (let s = first; s <= last; s++) table.addStep(s, [{ client: profile.client, lookupKey: ck.lookup }]);
  const prepared = prepareClient(ck);
  return verifyKnock(packet, {
    mask: new LookupMask(sk.header),
    table,
    prepared: () => prepared,
    serverId: profile.serverId,
    stepSeconds: profile.stepSeconds,
    window: DEFAULT_TIME_WINDOW,
    nowMs,
  });
}

export interface Sent {
  readonly kind: 'udp' | 'tcp';
  readonly to: Endpoint;
  readonly bytes: Uint8Array;
  readonly at: number;
}

/** A fake network and clock: records what is sent; the port opens after `openAfter` probes. */
export class FakeWorld {
  t = 1_700_000_010_000 + 5_000; // 5 s into a 30 s step (1_700_000_010_000 = 56666667 × 30 s)
  sent: Sent[] = [];
  probes = 0;
  openAfter = Number.POSITIVE_INFINITY;
  /** What a probe made before anything was sent sees (not counted in `probes`). */
  openBefore = false;
  address = { address: '192.0.2.10', family: 4 as const };
  random = seededRandom(42);

  deps(): KnockDeps {
    return {
      send: async (to, bytes) => {
        this.sent.push({ kind: 'udp', to, bytes: Uint8Array.from(bytes), at: this.t });
      },
      tcpKnock: async (to) => {
        this.sent.push({ kind: 'tcp', to, bytes: new Uint8Array(0), at: this.t });
      },
      probe: async () => (this.sent.length === 0 ? this.openBefore : ++this.probes >= this.openAfter),
      now: () => this.t,
      random: (n) => this.random(n),
      sleep: async (ms) => {
        this.t += ms;
      },
      lookup: async () => [this.address],
    };
  }
}

export const BIN = fileURLToPath(new URL('../../bin/spa-client.js', import.meta.url));

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the real CLI (built code) with `env` added; `input` goes to stdin. */
export function runCli(args: readonly string[], env: Record<string, string> = {}, input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}
