/** add-client --ssh-key / --ssh-key-file / --require-touch, and list-clients showing the key. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseProfile } from '@spa/shared';
import { loadConfig } from '../../src/config/load.js';
import { initArgs, runCli, tempDir } from './_cli.js';

describe('two-factor clients', () => {
  const dir = tempDir();
  const config = join(dir, 'server.toml');
  const c = ['--config', config];
  const key = join(dir, 'id_ed25519');

  test('setup', async () => {
    assert.equal((await runCli(initArgs(config, dir))).code, 0);
    execFileSync('ssh-keygen', ['-t', 'ed25519', '-N', '', '-C', 'alice@laptop', '-f', key, '-q']);
    execFileSync('ssh-keygen', ['-t', 'rsa', '-b', '2048', '-N', '', '-f', `${key}-rsa`, '-q']);
  });

  test('--ssh-key-file: stored, the profile names the fingerprint ssh-keygen -l prints, list-clients shows it', async () => {
    const r = await runCli([
      'add-client',
      'alice',
      ...c,
      '--services',
      'ssh',
      '--ssh-key-file',
      `${key}.pub`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const fp = execFileSync('ssh-keygen', ['-l', '-f', `${key}.pub`])
      .toString()
      .split(' ')[1]!;
    assert.equal(parseProfile(r.stdout.trim()).sshKey, fp);
    assert.match(r.stderr, new RegExp(`must be signed by ssh-ed25519 ${fp.replace(/[+/]/g, '\\$&')}`));
    assert.equal(loadConfig(config).clients.get('alice')!.sshKey?.type, 'ssh-ed25519');
    const list = await runCli(['list-clients', ...c]);
    assert.match(list.stdout, /SSH KEY/);
    assert.ok(list.stdout.includes(`ssh-ed25519 ${fp}`), list.stdout);
    const json = JSON.parse((await runCli(['list-clients', ...c, '--json'])).stdout);
    assert.deepEqual(json[0].sshKey, { type: 'ssh-ed25519', fingerprint: fp, requireTouch: false });
  });

  test('--ssh-key with the line itself works the same', async () => {
    const pub = readFileSync(`${key}.pub`, 'utf8').trim();
    const r = await runCli(['add-client', 'alice2', ...c, '--ssh-key', pub]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(parseProfile(r.stdout.trim()).sshKey?.startsWith('SHA256:'));
  });

  test('RSA refused with the reason; a private key refused; --require-touch on ed25519 refused', async () => {
    const rsa = await runCli(['add-client', 'bob', ...c, '--ssh-key-file', `${key}-rsa.pub`]);
    assert.equal(rsa.code, 64);
    assert.match(rsa.stderr, /RSA or DSA signature does not fit the 336-byte packet/);
    assert.match(rsa.stderr, /ssh-keygen -t ed25519/);
    const priv = await runCli(['add-client', 'bob', ...c, '--ssh-key-file', key]);
    assert.equal(priv.code, 64);
    assert.match(priv.stderr, /private key/);
    const touch = await runCli([
      'add-client',
      'bob',
      ...c,
      '--ssh-key-file',
      `${key}.pub`,
      '--require-touch',
    ]);
    assert.equal(touch.code, 64);
    assert.match(touch.stderr, /has no touch/);
    assert.equal(loadConfig(config).clients.has('bob'), false);
  });
});
