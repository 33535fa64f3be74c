/**
 * The stock fwknop client (Debian's fwknop-client) in the lab: keys as `fwknop --key-gen`
 * makes them, an access.conf stanza for them, and one client run. HOME is a fresh directory
 * and the rc file is off, so nothing is read from or written to the host's home.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecResult, HostRef } from '../lab/index.js';
import type { SpaLab } from './fixture.js';

export interface FwknopKeys {
  /** KEY_BASE64: 32 random bytes, like `fwknop --key-gen`. */
  readonly key: string;
  /** HMAC_KEY_BASE64: 64 random bytes, like `fwknop --key-gen`. */
  readonly hmacKey: string;
}

export function fwknopKeys(): FwknopKeys {
  return { key: randomBytes(32).toString('base64'), hmacKey: randomBytes(64).toString('base64') };
}

/** One access.conf stanza in fwknopd's own syntax. */
export function accessStanza(keys: FwknopKeys, extra: Record<string, string> = {}): string {
  const lines: Record<string, string> = {
    SOURCE: 'ANY',
    OPEN_PORTS: 'tcp/22',
    KEY_BASE64: keys.key,
    HMAC_KEY_BASE64: keys.hmacKey,
    HMAC_DIGEST_TYPE: 'sha256',
    FW_ACCESS_TIMEOUT: '30',
    ...extra,
  };
  return `${Object.entries(lines)
    .map(([k, v]) => `${k.padEnd(24)}${v}`)
    .join('\n')}\n`;
}

export interface FwknopRun {
  readonly result: ExecResult;
  /** The packet as sent (the client's --save-packet file), ASCII. */
  readonly packet: string;
}

let runs = 0;

/**
 * `fwknop -A ACCESS -D SERVER ...` on `host`, with `keys` (omit `hmac` for a packet without
 * HMAC, the way fwknopd allows and spa refuses). Returns the exit status and the packet sent.
 */
export async function runFwknop(
  spa: SpaLab,
  host: HostRef,
  keys: FwknopKeys,
  args: readonly string[],
  opts: { hmac?: boolean } = {},
): Promise<FwknopRun> {
  const home = join(spa.dir, `fwknop-home-${++runs}`);
  mkdirSync(home, { mode: 0o700 });
  const saved = join(home, 'packet.txt');
  const argv = [
    'env',
    `HOME=${home}`,
    'fwknop',
    '-D',
    spa.lab.hosts.server.ipv4,
    '--no-rc-file',
    '--no-save-args',
    '--key-base64-rijndael',
    keys.key,
    ...(opts.hmac === false ? [] : ['--key-base64-hmac', keys.hmacKey, '--use-hmac']),
    '-B',
    saved,
    ...args,
  ];
  const result = await spa.lab.exec(host, argv, { timeoutMs: 10_000 });
  let packet = '';
  try {
    packet = readFileSync(saved, 'utf8').trim();
  } catch {
    // no packet written: the caller asserts on the result
  }
  return { result, packet };
}
