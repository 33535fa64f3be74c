/** The file on disk: missing, loose, foreign-owned, or fine. */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { configText, tempDir, writeFile } from './_fixtures.js';

const dir = tempDir();

function loadError(path: string): ConfigError {
  try {
    loadConfig(path);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail('expected a ConfigError');
}

test('a 0600 file loads', () => {
  const path = writeFile(dir, configText(), 0o600, 'ok.toml');
  assert.equal(loadConfig(path).path, path);
});

test('a 0400 file loads', () => {
  const path = writeFile(dir, configText(), 0o400, 'ro.toml');
  assert.equal(loadConfig(path).serverName, 'web1');
});

test('relative paths become absolute', () => {
  const path = writeFile(dir, configText(), 0o600, 'rel.toml');
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    assert.equal(loadConfig('rel.toml').path, path);
  } finally {
    process.chdir(cwd);
  }
});

for (const mode of [0o644, 0o640, 0o604, 0o660, 0o602, 0o620]) {
  test(`mode ${mode.toString(8)} is refused with "chmod 600 FILE"`, () => {
    const path = writeFile(dir, configText(), 0o600, `loose-${mode.toString(8)}.toml`);
    chmodSync(path, mode);
    const e = loadError(path);
    assert.equal(e.code, 'config-permissions');
    assert.equal(e.file, path);
    assert.equal(e.hint, `chmod 600 ${path}`);
    assert.match(e.message, /holds secrets/);
    assert.match(e.message, new RegExp(`mode 0${mode.toString(8)}`));
  });
}

test('a missing file says to run spa-server init', () => {
  const path = join(dir, 'nope.toml');
  const e = loadError(path);
  assert.equal(e.code, 'config-missing');
  assert.match(e.hint, new RegExp(`spa-server init --config ${path}`));
});

test('a directory is not a config file', () => {
  const path = join(dir, 'adir');
  mkdirSync(path);
  assert.equal(loadError(path).code, 'config-invalid');
});

test('a file owned by another user is refused', { skip: process.getuid?.() !== 0 && 'needs root' }, () => {
  const path = writeFile(dir, configText(), 0o600, 'foreign.toml');
  chownSync(path, 12345, 12345);
  const e = loadError(path);
  assert.equal(e.code, 'config-owner');
  assert.match(e.message, /uid 12345/);
  assert.match(e.hint, /chown/);
});

test('syntax errors name the file', () => {
  const path = writeFile(dir, '[server\n', 0o600, 'broken.toml');
  const e = loadError(path);
  assert.equal(e.code, 'config-syntax');
  assert.ok(e.message.startsWith(`${path}: line 1`));
});
