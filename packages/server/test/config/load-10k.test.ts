/**
 * Loading a 10,000-client file. Prints the time (no assertion on it: benchmarks are not
 * tests); the goal is ≤ 1 s, which is why client subkeys are derived lazily.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { encodeSecret } from '@spa/shared';
import { loadConfig } from '../../src/config/load.js';
import { configText, tempDir, writeFile } from './_fixtures.js';

const N = 10_000;

test(`load ${N} clients`, (t) => {
  const clients: string[] = [];
  for (let i = 0; i < N; i++) {
    clients.push(
      `[clients.c${i}]\nkey = "${encodeSecret('client', randomBytes(32))}"\nservices = ["ssh"]\nexpires = "2030-01-01"\nallowed_sources = ["10.${(i >> 8) & 255}.${i & 255}.0/24"]\n`,
    );
  }
  const path = writeFile(tempDir(), configText({ clients: clients.join('\n') }));
  const t0 = performance.now();
  const c = loadConfig(path);
  const loadMs = performance.now() - t0;
  assert.equal(c.clients.size, N);
  const t1 = performance.now();
  for (const client of c.clients.values()) void client.keys.lookup;
  const deriveMs = performance.now() - t1;
  const msg = `loadConfig(${N} clients): ${loadMs.toFixed(0)} ms; deriving all their subkeys afterwards: ${deriveMs.toFixed(0)} ms`;
  t.diagnostic(msg);
  console.log(msg);
});
