/** Atomic writes: mode 0600 whatever the umask, no clobbering unless asked, no lost updates, no temp files left. */
import assert from 'node:assert/strict';
import { chownSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { writeConfig } from '../../src/config/write.js';
import { tempDir } from './_fixtures.js';

const dir = tempDir();

test('writes mode 0600 even with a permissive umask', () => {
  const old = process.umask(0o000);
  try {
    const path = join(dir, 'a.toml');
    writeConfig(path, 'x = 1\n');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readFileSync(path, 'utf8'), 'x = 1\n');
  } finally {
    process.umask(old);
  }
});

test('replaces an existing file, leaving no temp file behind', () => {
  const path = join(dir, 'b.toml');
  writeFileSync(path, 'old\n', { mode: 0o600 });
  writeConfig(path, 'new\n');
  assert.equal(readFileSync(path, 'utf8'), 'new\n');
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.includes('.tmp')),
    [],
  );
});

test('overwrite: false refuses an existing file', () => {
  const path = join(dir, 'c.toml');
  writeFileSync(path, 'keep\n', { mode: 0o600 });
  assert.throws(
    () => writeConfig(path, 'new\n', { overwrite: false }),
    (e) => e instanceof ConfigError && e.code === 'config-exists' && /--force/.test(e.hint),
  );
  assert.equal(readFileSync(path, 'utf8'), 'keep\n');
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.includes('.tmp')),
    [],
  );
});

test('expect: a file changed by someone else meanwhile is not overwritten', () => {
  const path = join(dir, 'd.toml');
  writeFileSync(path, 'theirs\n', { mode: 0o600 });
  assert.throws(
    () => writeConfig(path, 'mine\n', { expect: 'what I read\n' }),
    (e) => e instanceof ConfigError && e.code === 'config-write',
  );
  assert.equal(readFileSync(path, 'utf8'), 'theirs\n');
  writeConfig(path, 'mine\n', { expect: 'theirs\n' });
  assert.equal(readFileSync(path, 'utf8'), 'mine\n');
});

test('a missing directory is a config-write error', () => {
  assert.throws(
    () => writeConfig(join(dir, 'no', 'such', 'e.toml'), 'x\n'),
    (e) => e instanceof ConfigError && e.code === 'config-write',
  );
});

test('root keeps the owner of the file it edits', { skip: process.getuid?.() !== 0 && 'needs root' }, () => {
  const path = join(dir, 'f.toml');
  writeFileSync(path, 'old\n', { mode: 0o600 });
  chownSync(path, 12345, 12346);
  writeConfig(path, 'new\n');
  const st = statSync(path);
  assert.equal(st.uid, 12345);
  assert.equal(st.gid, 12346);
});
