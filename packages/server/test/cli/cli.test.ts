/** The spa-server binary: init → add-client → profile round trip, exit codes, messages, streams. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  fchmodSync,
  openSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { encodeSecret, parseProfile } from '@spa/shared';
import { loadConfig } from '../../src/config/load.js';
import { BIN, initArgs, spawnCli, tempDir } from './_cli.js';

const NO_STACK = /\n\s+at .+:\d+:\d+/;

describe('init → add-client → profile', () => {
  const dir = tempDir();
  const config = join(dir, 'etc', 'spa', 'server.toml');

  test('init writes a 0600 file in a new 0700 directory', () => {
    const r = spawnCli(initArgs(config, dir));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote .*server\.toml \(mode 0600\)/);
    assert.match(r.stderr, /spa-server add-client/);
    // Trial first: the shortest path shown must not be the lock-out path.
    const trial = r.stderr.indexOf('spa-server run --trial 2m');
    assert.ok(trial > 0 && trial < r.stderr.indexOf('systemctl enable --now spa-server'), r.stderr);
    assert.equal(statSync(config).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'etc', 'spa')).mode & 0o777, 0o700);
    assert.match(readFileSync(config, 'utf8'), /^# spa-server configuration\. Holds secrets/);
  });

  test('add-client prints exactly one line, the profile, on stdout; hints on stderr', () => {
    const r = spawnCli([
      'add-client',
      'alice',
      '--config',
      config,
      '--services',
      'ssh',
      '--expires',
      '2099-12-31',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^spa:\/\/v1\//);
    assert.match(r.stderr, /spa-client import -/);
    assert.ok(!r.stderr.includes(lines[0]!), 'the profile (it holds the key) is not repeated on stderr');
    assert.match(r.stderr, /systemctl reload spa-server/);
    assert.match(r.stderr, /kill -HUP/);
  });

  test('the profile parses and carries exactly the keys in the config', () => {
    const r = spawnCli(['profile', 'alice', '--config', config]);
    assert.equal(r.code, 0, r.stderr);
    const p = parseProfile(r.stdout.trim());
    const c = loadConfig(config);
    const alice = c.clients.get('alice')!;
    assert.equal(p.server, 'web1');
    assert.equal(p.client, 'alice');
    assert.equal(p.host, '192.0.2.1');
    assert.deepEqual(p.serverId, c.serverId);
    assert.deepEqual(p.serverSecret, c.serverSecret);
    assert.deepEqual(p.clientSecret, alice.secret);
    assert.deepEqual(p.knock, c.knock);
    assert.equal(p.stepSeconds, c.stepSeconds);
    assert.deepEqual(p.services, { ssh: { protocol: 'tcp', port: 22 } });
    assert.deepEqual(p.sequence, c.sequence);
    assert.equal(alice.expiresAtMs, Date.UTC(2099, 11, 31));
    assert.deepEqual(alice.services, ['ssh']);
  });

  test('a second client gets every service by default and its own key', () => {
    const r = spawnCli(['add-client', 'bob', '--config', config]);
    assert.equal(r.code, 0, r.stderr);
    const p = parseProfile(r.stdout.trim());
    assert.deepEqual(Object.keys(p.services), ['ssh', 'https']);
    const c = loadConfig(config);
    assert.notDeepEqual(c.clients.get('bob')!.secret, c.clients.get('alice')!.secret);
  });

  test('a duplicate name is refused (exit 1) and the file is unchanged', () => {
    const before = readFileSync(config, 'utf8');
    const r = spawnCli(['add-client', 'alice', '--config', config]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /client "alice" already exists/);
    assert.doesNotMatch(r.stderr, NO_STACK);
    assert.equal(readFileSync(config, 'utf8'), before);
  });

  test('list-clients never shows keys', () => {
    const keys = [...loadConfig(config).clients.values()].map((c) => encodeSecret('client', c.secret));
    for (const args of [[], ['--json']]) {
      const r = spawnCli(['list-clients', '--config', config, ...args]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /alice/);
      assert.match(r.stdout, /bob/);
      for (const k of keys) assert.ok(!r.stdout.includes(k) && !r.stderr.includes(k));
      assert.doesNotMatch(r.stdout, /spak1/);
    }
  });

  test('remove-client removes it; the profile of the rest is unchanged', () => {
    const bob = spawnCli(['profile', 'bob', '--config', config]).stdout;
    const r = spawnCli(['remove-client', 'alice', '--config', config]);
    assert.equal(r.code, 0, r.stderr);
    const c = loadConfig(config);
    assert.deepEqual([...c.clients.keys()], ['bob']);
    assert.equal(spawnCli(['profile', 'bob', '--config', config]).stdout, bob);
    assert.equal(spawnCli(['remove-client', 'alice', '--config', config]).code, 1);
  });

  test('init refuses to overwrite (exit 2) and --force replaces the secrets', () => {
    const before = loadConfig(config);
    const r = spawnCli(initArgs(config, dir));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /already exists.*--force/);
    assert.doesNotMatch(r.stderr, NO_STACK);
    const forced = spawnCli(initArgs(config, dir, '--force'));
    assert.equal(forced.code, 0, forced.stderr);
    const after = loadConfig(config);
    assert.notDeepEqual(after.serverSecret, before.serverSecret);
    assert.notDeepEqual(after.serverId, before.serverId);
    assert.equal(after.clients.size, 0);
  });
});

describe('profile files hold a key: mode 0600', () => {
  const dir = tempDir();
  const config = join(dir, 'server.toml');
  spawnCli(initArgs(config, dir));

  test('add-client --out FILE writes the profile at mode 0600, never over a file or through a symlink', () => {
    const file = join(dir, 'erin.profile');
    const r = spawnCli(['add-client', 'erin', '--config', config, '--out', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(readFileSync(file, 'utf8'), /^spa:\/\/v1\/\S+\n$/);
    assert.match(r.stderr, /wrote the profile to .*erin\.profile \(mode 0600\)/);
    // An existing file: refused before carol is added.
    const again = spawnCli(['add-client', 'frank', '--config', config, '--out', file]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /cannot create it: it already exists/);
    assert.ok(!readFileSync(config, 'utf8').includes('[clients.frank]'));
    // A symlink (to where an attacker wants the key): refused, nothing written there.
    const link = join(dir, 'link.profile');
    symlinkSync(join(dir, 'elsewhere'), link);
    const viaLink = spawnCli(['profile', 'erin', '--config', config, '-o', link]);
    assert.equal(viaLink.code, 1);
    assert.equal(existsSync(join(dir, 'elsewhere')), false);
    const profile = spawnCli(['profile', 'erin', '--config', config, '-o', join(dir, 'erin2.profile')]);
    assert.equal(profile.code, 0, profile.stderr);
    assert.equal(readFileSync(join(dir, 'erin2.profile'), 'utf8'), readFileSync(file, 'utf8'));
  });

  test('add-client > FILE: a fresh 0644 file made by the redirect is tightened to 0600', () => {
    const file = join(dir, 'gina.profile');
    const fd = openSync(file, 'w', 0o644);
    fchmodSync(fd, 0o644);
    try {
      const r = spawnSync(process.execPath, [BIN, 'add-client', 'gina', '--config', config], {
        stdio: ['ignore', fd, 'pipe'],
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /made it 0600/);
    } finally {
      closeSync(fd);
    }
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(readFileSync(file, 'utf8'), /^spa:\/\/v1\//);
  });
});

describe('exit codes and messages', () => {
  const dir = tempDir();
  const config = join(dir, 'server.toml');
  spawnCli(initArgs(config, dir));

  const cases: [string, string[], number, RegExp][] = [
    ['no arguments: usage', [], 64, /Usage: spa-server/],
    ['unknown command', ['frobnicate'], 64, /unknown command 'frobnicate'/],
    ['unknown option', ['list-clients', '--config', config, '--bogus'], 64, /unknown option '--bogus'/],
    ['missing argument', ['add-client', '--config', config], 64, /missing required argument 'name'/],
    [
      'init without --interface',
      ['init', '--config', join(dir, 'x.toml'), '--service', 'ssh=22/tcp'],
      64,
      /--interface/,
    ],
    [
      'init with an interface this machine does not have',
      ['init', '--config', join(dir, 'x.toml'), '-i', 'spa-nosuch9', '-s', 'ssh=22/tcp', '--host', 'h'],
      64,
      /no such interface on this machine: spa-nosuch9\n {2}hint: list them with `ip -br link`/,
    ],
    [
      'init with a bad --service',
      ['init', '--config', join(dir, 'x.toml'), '--interface', 'lo', '--service', 'ssh:22'],
      64,
      /expected NAME=PORT\/PROTO/,
    ],
    [
      'init with a service in the knock range',
      [
        'init',
        '--config',
        join(dir, 'x.toml'),
        '--interface',
        'lo',
        '--service',
        'x=45000/udp',
        '--host',
        'h',
      ],
      64,
      /services\.x: port 45000 is inside the knock port range/,
    ],
    [
      'add-client: unknown service',
      ['add-client', 'c', '--config', config, '--services', 'rdp'],
      64,
      /unknown service "rdp"/,
    ],
    ['add-client: bad name', ['add-client', 'bad name', '--config', config], 64, /not a valid client name/],
    [
      'add-client: past expiry',
      ['add-client', 'c', '--config', config, '--expires', '2001-01-01'],
      64,
      /already past/,
    ],
    [
      'add-client: bad expiry',
      ['add-client', 'c', '--config', config, '--expires', 'soon'],
      64,
      /not a date/,
    ],
    [
      'add-client: bad --allow-from',
      ['add-client', 'c', '--config', config, '--allow-from', '10.0.0.0/99'],
      64,
      /CIDR/,
    ],
    [
      'missing config file: run init',
      ['list-clients', '--config', join(dir, 'missing.toml')],
      2,
      /ConfigError: .*missing\.toml: no such file \(create it with: spa-server init --config/,
    ],
    [
      'revoke: not an address',
      ['revoke', 'example.org', '--config', config],
      64,
      /not an IPv4 or IPv6 address/,
    ],
    [
      'status: dry-run has no kernel state',
      ['status', '--config', config],
      1,
      /keeps its grants in the daemon's memory/,
    ],
    ['reload: no daemon', ['reload', '--config', config], 1, /no pid file .*is the daemon running/],
    ['help', ['--help'], 0, /Commands:/],
  ];
  for (const [name, args, code, message] of cases) {
    test(`${name} → exit ${code}`, () => {
      const r = spawnCli(args);
      assert.equal(r.code, code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
      assert.match(r.stdout + r.stderr, message);
      assert.doesNotMatch(r.stderr, NO_STACK);
    });
  }

  test('a loose config file → exit 2 with "chmod 600 FILE"', () => {
    chmodSync(config, 0o644);
    try {
      const r = spawnCli(['list-clients', '--config', config]);
      assert.equal(r.code, 2);
      assert.ok(r.stderr.includes(`chmod 600 ${config}`), r.stderr);
    } finally {
      chmodSync(config, 0o600);
    }
  });

  test('an invalid config → exit 2 naming file and key', () => {
    const bad = join(dir, 'bad.toml');
    writeFileSync(bad, readFileSync(config, 'utf8').replace('ssh = "22/tcp"', 'ssh = "22/tcpx"'), {
      mode: 0o600,
    });
    const r = spawnCli(['list-clients', '--config', bad]);
    assert.equal(r.code, 2);
    assert.ok(r.stderr.startsWith(`ConfigError: ${bad}: services.ssh: expected "PORT/PROTO"`), r.stderr);
  });

  test('SPA_SERVER_CONFIG is honoured, --config wins over it', () => {
    const viaEnv = spawnCli(['list-clients', '--json'], { SPA_SERVER_CONFIG: config });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.deepEqual(JSON.parse(viaEnv.stdout), []);
    const both = spawnCli(['list-clients', '--config', join(dir, 'missing.toml')], {
      SPA_SERVER_CONFIG: config,
    });
    assert.equal(both.code, 2);
  });

  test('-c/--config works before the command too; the one after it wins', () => {
    const before = spawnCli(['-c', config, 'list-clients', '--json']);
    assert.equal(before.code, 0, before.stderr);
    assert.deepEqual(JSON.parse(before.stdout), []);
    const both = spawnCli(['--config', config, 'list-clients', '-c', join(dir, 'missing.toml')]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /missing\.toml: no such file/);
  });

  test('help shows each default once, never "(default: [])"', () => {
    for (const c of ['init', 'add-client', 'import-fwknop', 'run', 'status']) {
      const r = spawnCli([c, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /\(default: \[\]\)|\)\s+\(default:/, c);
    }
  });

  test('run with a bad config fails fast with exit 2', () => {
    const r = spawnCli(['run', '--config', join(dir, 'missing.toml')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /spa-server init/);
  });
});
