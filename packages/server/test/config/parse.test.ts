/** What a valid file turns into: defaults, every setting, durations, lazily derived keys. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_KNOCK_RANGE, DEFAULT_SEQUENCE_RANGE, deriveClientKeys, parseCidr } from '@spa/shared';
import { formatDuration, parseDurationMs } from '../../src/config/duration.js';
import { parseConfig } from '../../src/config/parse.js';
import { ALICE_KEY, BOB_KEY, bytes, configText, FILE, parse, SERVER_ID, SERVER_SECRET } from './_fixtures.js';

describe('defaults', () => {
  const c = parse();
  test('server', () => {
    assert.equal(c.path, FILE);
    assert.equal(c.serverName, 'web1');
    assert.equal(c.advertiseHost, '192.0.2.1');
    assert.deepEqual(c.interfaces, ['lo']);
    assert.equal(c.stateDir, '/var/lib/spa');
    assert.equal(c.logLevel, 'info');
    assert.deepEqual(c.serverId, bytes(0xab, 16));
    assert.deepEqual(c.serverSecret, bytes(1));
  });
  test('knock: rotating 40000-49999, 30 s steps, ±30 s', () => {
    assert.deepEqual(c.knock, { mode: 'rotating', range: DEFAULT_KNOCK_RANGE });
    assert.equal(c.stepSeconds, 30);
    assert.deepEqual(c.window, { maxPastMs: 30_000, maxFutureMs: 30_000 });
  });
  test('sequence: on, 4 tcp knocks in 50000-59999, 5 s gap', () => {
    assert.deepEqual(c.sequence, { length: 4, protocol: 'tcp', range: DEFAULT_SEQUENCE_RANGE, gapMs: 5000 });
  });
  test('policy: 30 s default, 300 s max', () => {
    assert.deepEqual(c.policy, {
      defaultDurationSeconds: 30,
      maxDurationSeconds: 300,
      requireLiteralAddress: false,
      allowedSources: [],
      requireSshKey: false,
    });
  });
  test('firewall: nftables table spa, keep on stop', () => {
    assert.deepEqual(c.firewall, { backend: 'nftables', table: 'spa', onStop: 'keep' });
  });
  test('services and clients', () => {
    assert.deepEqual(c.services.get('ssh'), { name: 'ssh', protocol: 'tcp', port: 22 });
    const alice = c.clients.get('alice');
    assert.ok(alice);
    assert.deepEqual(alice.secret, bytes(2));
    assert.deepEqual(alice.services, ['ssh']);
    assert.equal(alice.expiresAtMs, undefined);
    assert.equal(alice.revoked, false);
    assert.deepEqual(alice.allowedSources, []);
  });
  test('no clients at all is valid', () => {
    assert.equal(parse({ clients: '' }).clients.size, 0);
  });
});

test('every setting', () => {
  const c = parseConfig(
    configText({
      server: `name = "gw.example"\nhost = "2001:db8::1"\ninterfaces = ["eth0", "eth1"]\nstate_dir = "/srv/spa"\nid = "${SERVER_ID}"\nsecret = "${SERVER_SECRET}"\nlog_level = "debug"`,
      knock: 'port = 62201\nstep = 60\nmax_past = "1m30s"\nmax_future = "500ms"',
      sequence: 'enabled = true\nlength = 6\nprotocol = "mixed"\nport_range = [30000, 30999]\ngap = "2s"',
      policy:
        'default_duration = "45s"\nmax_duration = "1h"\nrequire_literal_address = true\nallowed_sources = ["192.0.2.0/24", "2001:db8::/32"]',
      firewall: 'backend = "iptables"\ntable = "spa_fw"\non_stop = "remove"',
      clients: `[clients.alice]\nkey = "${ALICE_KEY}"\nservices = ["ssh", "https"]\nexpires = "2030-01-01"\nrevoked = true\nallowed_sources = ["198.51.100.7"]\n\n[clients.bob]\nkey = "${BOB_KEY}"\nservices = ["https"]`,
    }),
    FILE,
  );
  assert.equal(c.serverName, 'gw.example');
  assert.equal(c.advertiseHost, '2001:db8::1');
  assert.deepEqual(c.interfaces, ['eth0', 'eth1']);
  assert.equal(c.stateDir, '/srv/spa');
  assert.equal(c.logLevel, 'debug');
  assert.deepEqual(c.knock, { mode: 'fixed', port: 62201 });
  assert.equal(c.stepSeconds, 60);
  assert.deepEqual(c.window, { maxPastMs: 90_000, maxFutureMs: 500 });
  assert.deepEqual(c.sequence, { length: 6, protocol: 'mixed', range: [30000, 30999], gapMs: 2000 });
  assert.deepEqual(c.policy, {
    defaultDurationSeconds: 45,
    maxDurationSeconds: 3600,
    requireLiteralAddress: true,
    allowedSources: [parseCidr('192.0.2.0/24'), parseCidr('2001:db8::/32')],
    requireSshKey: false,
  });
  assert.deepEqual(c.firewall, { backend: 'iptables', table: 'spa_fw', onStop: 'remove' });
  const alice = c.clients.get('alice')!;
  assert.deepEqual(alice.services, ['ssh', 'https']);
  assert.equal(alice.expiresAtMs, Date.UTC(2030, 0, 1));
  assert.equal(alice.revoked, true);
  assert.deepEqual(alice.allowedSources, [parseCidr('198.51.100.7')]);
  assert.equal(c.clients.get('bob')?.revoked, false);
});

test('client keys are derived on first use and match deriveClientKeys', () => {
  const alice = parse().clients.get('alice')!;
  const expected = deriveClientKeys(bytes(2));
  assert.deepEqual(alice.keys.lookup, expected.lookup);
  assert.deepEqual(alice.keys.enc, expected.enc);
  assert.deepEqual(alice.keys.mac, expected.mac);
  assert.deepEqual(alice.keys.sequence, expected.sequence);
  assert.equal(alice.keys.enc, alice.keys.enc, 'derived once, then the same object');
});

describe('durations', () => {
  test('parse', () => {
    assert.equal(parseDurationMs(30), 30_000);
    assert.equal(parseDurationMs('30'), 30_000);
    assert.equal(parseDurationMs('30s'), 30_000);
    assert.equal(parseDurationMs('5m'), 300_000);
    assert.equal(parseDurationMs('1h'), 3_600_000);
    assert.equal(parseDurationMs('1m30s'), 90_000);
    assert.equal(parseDurationMs('500ms'), 500);
    assert.equal(parseDurationMs(' 2s '), 2000);
    for (const bad of ['', 's', '5x', '5s1m', '5s5s', '-5s', '1.5s', '5 s', 1.5, -1, true, null]) {
      assert.equal(parseDurationMs(bad), undefined, String(bad));
    }
  });
  test('format', () => {
    assert.equal(formatDuration(30_000), '30s');
    assert.equal(formatDuration(300_000), '5m');
    assert.equal(formatDuration(90_500), '1m30s500ms');
    assert.equal(formatDuration(0), '0s');
    for (const ms of [1, 999, 1000, 61_000, 3_661_000]) assert.equal(parseDurationMs(formatDuration(ms)), ms);
  });
});
