/** Shared helpers for config tests: temp dirs, a valid config text, error assertions. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { encodeSecret, encodeServerId } from '@spa/shared';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/parse.js';
import type { ServerConfig } from '../../src/config/types.js';

export const FILE = '/etc/spa/server.toml';

export function bytes(fill: number, length = 32): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

export const SERVER_ID = encodeServerId(bytes(0xab, 16));
export const SERVER_SECRET = encodeSecret('server', bytes(1));
export const ALICE_KEY = encodeSecret('client', bytes(2));
export const BOB_KEY = encodeSecret('client', bytes(3));

/** A temp dir removed when the test file ends. */
export function tempDir(prefix = 'spa-config-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function writeFile(dir: string, text: string, mode = 0o600, name = 'server.toml'): string {
  const path = join(dir, name);
  writeFileSync(path, text, { mode });
  return path;
}

export interface Parts {
  server?: string;
  knock?: string;
  sequence?: string;
  policy?: string;
  firewall?: string;
  services?: string;
  clients?: string;
  extra?: string;
}

/** A small valid config; each part can be replaced (the [header] is added). */
export function configText(p: Parts = {}): string {
  const server =
    p.server ??
    `name = "web1"\nhost = "192.0.2.1"\ninterfaces = ["lo"]\nid = "${SERVER_ID}"\nsecret = "${SERVER_SECRET}"`;
  const sections: string[] = [`[server]\n${server}`];
  if (p.knock !== undefined) sections.push(`[knock]\n${p.knock}`);
  if (p.sequence !== undefined) sections.push(`[sequence]\n${p.sequence}`);
  if (p.policy !== undefined) sections.push(`[policy]\n${p.policy}`);
  if (p.firewall !== undefined) sections.push(`[firewall]\n${p.firewall}`);
  sections.push(`[services]\n${p.services ?? 'ssh = "22/tcp"\nhttps = "443/tcp"'}`);
  sections.push(p.clients ?? `[clients.alice]\nkey = "${ALICE_KEY}"\nservices = ["ssh"]`);
  if (p.extra !== undefined) sections.push(p.extra);
  return `${sections.join('\n\n')}\n`;
}

export function parse(p: Parts = {}): ServerConfig {
  return parseConfig(configText(p), FILE);
}

/** Assert that parsing fails with a ConfigError at `key` whose problem matches `problem`. */
export function assertConfigError(p: Parts, key: string, problem: RegExp, code = 'config-invalid'): void {
  configError(p, key, problem, code);
}

/** assertConfigError, returning the error for more checks. */
export function configError(p: Parts, key: string, problem: RegExp, code = 'config-invalid'): ConfigError {
  let err: unknown;
  try {
    parse(p);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  assert.equal(err.file, FILE);
  assert.equal(err.key, key, err.message);
  assert.match(err.problem, problem);
  assert.ok(err.hint.length > 0, 'every error has a hint');
  assert.ok(err.message.startsWith(`${FILE}: ${key}: `), err.message);
  assert.ok(err.message.endsWith(`(${err.hint})`), err.message);
  return err;
}
