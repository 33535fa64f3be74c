/** `spa-server check` on a good and a bad config (interface lo, dry-run firewall: no namespace needed). */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { initArgs, spawnCli, tempDir } from './_cli.js';

// Opening a capture handle needs root (or CAP_NET_RAW); without it, skip that probe.
const captureFlags = process.getuid?.() === 0 ? [] : ['--skip-capture'];

describe('check', () => {
  const dir = tempDir();
  const good = join(dir, 'good.toml');
  spawnCli(initArgs(good, dir));
  const variant = (name: string, edit: (t: string) => string) => {
    const path = join(dir, name);
    writeFileSync(path, edit(readFileSync(good, 'utf8')), { mode: 0o600 });
    return path;
  };

  test('a good config passes every check (exit 0); lockout risks are warn lines, not failures', () => {
    const r = spawnCli(['check', '--config', good, ...captureFlags]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.ok(
      lines.every((l) => l.startsWith('ok   ') || l.startsWith('warn ') || l.startsWith('     fix: ')),
      r.stdout,
    );
    assert.match(r.stdout, /^warn out-of-band access: none noted/m);
    assert.match(r.stdout, /^warn service ssh \(tcp\/22\): no usable client/m);
    assert.match(r.stderr, /all checks passed \(3 warnings/);
    assert.match(r.stdout, /^ok {3}config: .*good\.toml \(2 services, 0 clients\)$/m);
    assert.match(r.stdout, /^ok {3}interface lo: exists$/m);
    if (captureFlags.length === 0) assert.match(r.stdout, /^ok {3}capture on lo: libpcap opens it/m);
    assert.match(r.stdout, /^ok {3}firewall dry-run/m);
    assert.match(r.stdout, /^ok {3}state dir /m);
    assert.match(r.stderr, /all checks passed/);
  });

  test('out-of-band noted, two usable clients per service: no lockout warning', () => {
    const path = join(dir, 'safe.toml');
    writeFileSync(path, readFileSync(good, 'utf8'), { mode: 0o600 });
    for (const name of ['alice', 'bob'])
      assert.equal(spawnCli(['add-client', name, '--config', path]).code, 0);
    const text = readFileSync(path, 'utf8').replace(
      /^out_of_band = .*$/m,
      'out_of_band = "provider web console"',
    );
    writeFileSync(path, text, { mode: 0o600 });
    const r = spawnCli(['check', '--config', path, '--skip-capture']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ok {3}out-of-band access: provider web console$/m);
    assert.match(r.stdout, /^ok {3}service ssh \(tcp\/22\): 2 usable clients can open it$/m);
    assert.doesNotMatch(r.stdout, /^warn /m);
    assert.match(r.stderr, /^all checks passed$/m);
  });

  test('one usable client (the other revoked), on_stop = "remove": warnings with fixes, exit 0', () => {
    const path = join(dir, 'risky.toml');
    writeFileSync(path, readFileSync(good, 'utf8'), { mode: 0o600 });
    for (const name of ['alice', 'bob'])
      assert.equal(spawnCli(['add-client', name, '--config', path]).code, 0);
    assert.equal(spawnCli(['revoke-client', 'bob', '--config', path]).code, 0);
    const text = readFileSync(path, 'utf8').replace(/^on_stop = .*$/m, 'on_stop = "remove"');
    writeFileSync(path, text, { mode: 0o600 });
    const r = spawnCli(['check', '--config', path, '--skip-capture']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^warn service ssh \(tcp\/22\): only one usable client \(alice\)/m);
    assert.match(
      r.stdout,
      /fix: add a second client on another device: spa-server add-client NAME --services ssh/,
    );
    assert.match(r.stdout, /^warn firewall on_stop: "remove"/m);
    assert.match(r.stdout, /^warn out-of-band access/m);
  });

  test('a missing interface fails with a fix (exit 1)', () => {
    const path = variant('noif.toml', (t) =>
      t.replace('interfaces = [ "lo" ]', 'interfaces = [ "lo", "nosuch0" ]'),
    );
    const r = spawnCli(['check', '--config', path, ...captureFlags]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^FAIL interface nosuch0: no such interface\n {5}fix: see `ip link`/m);
    assert.match(r.stdout, /^ok {3}interface lo/m);
    assert.match(r.stderr, /1 check failed/);
  });

  test('an unwritable state dir fails', () => {
    const path = variant('state.toml', (t) => t.replace(/state_dir = ".*"/, `state_dir = "${good}/sub"`));
    const r = spawnCli(['check', '--config', path, '--skip-capture']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^FAIL state dir /m);
  });

  test('a missing command-backend program fails', () => {
    const path = variant('cmd.toml', (t) =>
      t
        .replace('backend = "dry-run"', 'backend = "command"')
        .replace(
          /\n\[services\]/,
          '\n[firewall.command]\ngrant = ["/nonexistent/open-port", "{ip}"]\n\n[services]',
        ),
    );
    const r = spawnCli(['check', '--config', path, '--skip-capture']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^FAIL firewall command grant: \/nonexistent\/open-port not found/m);
  });

  test('an invalid config fails on the config line (exit 2)', () => {
    const path = variant('bad.toml', (t) => t.replace('ssh = "22/tcp"', 'ssh = "45000/tcp"'));
    const r = spawnCli(['check', '--config', path]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /^FAIL config: .*bad\.toml: services\.ssh: port 45000 is inside the knock port range/m,
    );
    assert.match(r.stdout, /fix: pick another port/);
  });
});
