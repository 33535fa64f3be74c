/** Client management through main() in-process: revoke/reinstate, states, allow-from, comments kept. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseCidr } from '@spa/shared';
import { loadConfig } from '../../src/config/load.js';
import { initArgs, runCli, tempDir } from './_cli.js';

describe('client management', () => {
  const dir = tempDir();
  const config = join(dir, 'server.toml');
  const c = ['--config', config];

  test('setup', async () => {
    assert.equal((await runCli(initArgs(config, dir))).code, 0);
    // The operator's own comment, which edits must keep.
    writeFileSync(config, `${readFileSync(config, 'utf8')}\n# ops: rotate keys every June\n`, {
      mode: 0o600,
    });
  });

  test('add-client with --allow-from and several --services', async () => {
    const r = await runCli([
      'add-client',
      'ci-runner',
      ...c,
      '--services',
      'ssh,https',
      '--allow-from',
      '198.51.100.0/24, 2001:db8::/32',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const client = loadConfig(config).clients.get('ci-runner')!;
    assert.deepEqual(client.services, ['ssh', 'https']);
    assert.deepEqual(client.allowedSources, [parseCidr('198.51.100.0/24'), parseCidr('2001:db8::/32')]);
    // list-clients shows the networks themselves, not how many there are.
    const rows = JSON.parse((await runCli(['list-clients', '--json', ...c])).stdout) as {
      name: string;
      allowedSources: string[];
    }[];
    assert.deepEqual(rows.find((x) => x.name === 'ci-runner')?.allowedSources, [
      '198.51.100.0/24',
      '2001:db8::/32',
    ]);
    const text = (await runCli(['list-clients', ...c])).stdout;
    assert.match(text, /^ci-runner +spa +ssh,https +never +active +198\.51\.100\.0\/24,2001:db8::\/32$/m);
  });

  test('revoke-client sets revoked = true; --undo reinstates', async () => {
    assert.equal((await runCli(['add-client', 'dora', ...c])).code, 0);
    const r = await runCli(['revoke-client', 'dora', ...c]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /revoked client "dora"/);
    assert.equal(loadConfig(config).clients.get('dora')?.revoked, true);
    const again = await runCli(['revoke-client', 'dora', ...c]);
    assert.match(again.stderr, /already revoked; nothing changed/);
    const list = await runCli(['list-clients', ...c]);
    assert.match(list.stdout, /^dora +spa +ssh,https +never +revoked +any$/m);
    assert.equal((await runCli(['revoke-client', 'dora', '--undo', ...c])).code, 0);
    assert.equal(loadConfig(config).clients.get('dora')?.revoked, false);
  });

  test('list-clients shows expiry and expired clients', async () => {
    assert.equal((await runCli(['add-client', 'eve', ...c, '--expires', '2099-01-01T12:00:00Z'])).code, 0);
    const text = readFileSync(config, 'utf8').replace(
      'expires = "2099-01-01T12:00:00Z"',
      'expires = "2020-01-01"',
    );
    writeFileSync(config, text, { mode: 0o600 });
    const r = await runCli(['list-clients', '--json', ...c]);
    const rows = JSON.parse(r.stdout) as { name: string; state: string; expires: string | null }[];
    assert.deepEqual(
      rows.map((x) => [x.name, x.state, x.expires]),
      [
        ['ci-runner', 'active', null],
        ['dora', 'active', null],
        ['eve', 'expired', '2020-01-01T00:00:00.000Z'],
      ],
    );
  });

  test('fwknop clients are listed, revoked and removed like the others', async () => {
    const key = Buffer.alloc(32, 5).toString('base64');
    const hmac = Buffer.alloc(64, 6).toString('base64');
    const table = `\n[fwknop_clients.laptop]\nkey_base64 = "${key}"\nhmac_key_base64 = "${hmac}"\nservices = ["ssh"]\n`;
    writeFileSync(config, `${readFileSync(config, 'utf8')}${table}`, { mode: 0o600 });
    const list = await runCli(['list-clients', ...c]);
    assert.match(list.stdout, /^laptop +fwknop +ssh +never +active +any$/m);
    assert.ok(!list.stdout.includes(key) && !list.stdout.includes(hmac), 'no keys listed');
    assert.equal((await runCli(['revoke-client', 'laptop', ...c])).code, 0);
    assert.equal(loadConfig(config).fwknop.clients.get('laptop')?.revoked, true);
    const removed = await runCli(['remove-client', 'laptop', ...c]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(loadConfig(config).fwknop.clients.has('laptop'), false);
    assert.match(readFileSync(config, 'utf8'), /# ops: rotate keys every June/);
  });

  test('profile of an unknown client → exit 1', async () => {
    const r = await runCli(['profile', 'zed', ...c]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no client "zed"/);
    assert.equal(r.stdout, '');
  });

  test('the operator comment survived every edit', async () => {
    assert.equal((await runCli(['remove-client', 'dora', ...c])).code, 0);
    const text = readFileSync(config, 'utf8');
    assert.ok(text.includes('# ops: rotate keys every June'));
    assert.ok(text.includes('# Guarded services'));
    assert.deepEqual([...loadConfig(config).clients.keys()], ['ci-runner', 'eve']);
  });
});
