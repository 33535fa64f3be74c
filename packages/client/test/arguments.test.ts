import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openRequest } from '../src/commands/open.js';
import { formatSeconds, parseDurationSeconds, parseGapMs } from '../src/duration.js';
import { ClientError } from '../src/errors.js';
import { parseAllow, parseCount, parseFamily, parsePort } from '../src/flags.js';
import { formatElapsed } from '../src/format.js';
import { importProfile, type StoredProfile } from '../src/profile-store.js';
import { resolveHost, selectByHostPort, selectTarget } from '../src/resolve.js';
import { makeProfile, makeUri, tempDir } from './helpers.js';

function stored(name: string, services: Record<string, string>, host = `${name}.example`): StoredProfile {
  const svc = Object.fromEntries(
    Object.entries(services).map(([n, s]) => {
      const [port, protocol] = s.split('/');
      return [n, { port: Number(port), protocol: protocol as 'tcp' | 'udp' }];
    }),
  );
  return { name, uri: '', profile: makeProfile({ server: name, host, services: svc }) };
}

function throwsCode(f: () => unknown, code: string, pattern?: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof ClientError, String(e));
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(`${e.message} / ${e.hint}`, pattern);
    return true;
  });
}

const web1 = stored('web1', { ssh: '22/tcp', https: '443/tcp' });
const web2 = stored('web2', { ssh: '2222/tcp', dns: '53/udp' });
const db = stored('db', { postgres: '5432/tcp' }, '10.0.0.5');
const all = [web1, web2, db];

describe('SERVICE[@SERVER]', () => {
  test('ssh@web1 picks that profile', () => {
    const s = selectTarget(all, 'ssh@web1');
    assert.equal(s.entry.name, 'web1');
    assert.equal(s.service, 'ssh');
    assert.deepEqual(s.spec, { port: 22, protocol: 'tcp' });
  });

  test('the server may be omitted when only one profile offers the service', () => {
    assert.equal(selectTarget(all, 'postgres').entry.name, 'db');
    assert.equal(selectTarget(all, 'dns').entry.name, 'web2');
  });

  test('several profiles offering the service: ambiguous, naming them', () => {
    throwsCode(() => selectTarget(all, 'ssh'), 'ambiguous', /web1, web2.*ssh@web1/);
  });

  test('unknown service, with what is offered', () => {
    throwsCode(() => selectTarget(all, 'ftp'), 'unknown-service', /"ftp".*dns, https, postgres, ssh/);
    throwsCode(() => selectTarget(all, 'postgres@web1'), 'unknown-service', /on web1.*ssh, https/);
  });

  test('unknown server, no profiles at all, bad names', () => {
    throwsCode(() => selectTarget(all, 'ssh@nope'), 'no-profile', /"nope".*web1, web2, db/);
    throwsCode(() => selectTarget([], 'ssh'), 'no-profile', /spa-client import/);
    throwsCode(() => selectTarget(all, 'SSH'), 'usage');
    throwsCode(() => selectTarget(all, 'ssh@'), 'usage');
    throwsCode(() => selectTarget(all, '@web1'), 'usage');
  });

  test('the server part also matches the server name or host of a renamed profile', () => {
    const renamed = { ...web1, name: 'prod' };
    assert.equal(selectTarget([renamed, db], 'ssh@web1').entry.name, 'prod');
    assert.equal(selectTarget([renamed, db], 'ssh@web1.example').entry.name, 'prod');
    assert.equal(selectTarget([renamed, db], 'ssh@prod').entry.name, 'prod');
  });
});

describe('proxy HOST PORT', () => {
  test('finds the profile by host (or name) and the service by port', () => {
    const s = selectByHostPort(all, 'web2.example', 2222);
    assert.equal(s.entry.name, 'web2');
    assert.equal(s.service, 'ssh');
    assert.equal(selectByHostPort(all, 'db', 5432).service, 'postgres');
    assert.equal(selectByHostPort(all, '10.0.0.5', 5432).entry.name, 'db');
  });

  test('no host, no tcp service on the port, several matches', () => {
    throwsCode(() => selectByHostPort(all, 'other.example', 22), 'no-profile');
    throwsCode(() => selectByHostPort(all, 'web2', 53), 'unknown-service', /53\/tcp/);
    const twin = { ...web1, name: 'web1b' };
    throwsCode(() => selectByHostPort([web1, twin], 'web1.example', 22), 'ambiguous', /web1, web1b/);
  });
});

describe('flags', () => {
  test('--duration accepts 60, 60s, 5m, 1h', () => {
    assert.equal(parseDurationSeconds('60'), 60);
    assert.equal(parseDurationSeconds('60s'), 60);
    assert.equal(parseDurationSeconds('5m'), 300);
    assert.equal(parseDurationSeconds('1h'), 3600);
    assert.equal(parseDurationSeconds('86400'), 86400);
  });

  test("--duration and --gap take the config file's grammar: 1m30s, 1s500ms", () => {
    assert.equal(parseDurationSeconds('1m30s'), 90);
    assert.equal(parseDurationSeconds('1h30m'), 5400);
    assert.equal(parseGapMs('1s500ms'), 1500);
    throwsCode(() => parseDurationSeconds('30s1m'), 'usage', /--duration/);
    throwsCode(() => parseDurationSeconds('1m30s500ms'), 'usage', /whole seconds/);
  });

  test('--duration refuses nonsense, zero, fractions, more than a day', () => {
    for (const bad of ['', 'x', '5x', '-5', '1.5m', '0', '0s', '500ms', '25h', '86401', '5 m m']) {
      throwsCode(() => parseDurationSeconds(bad), 'usage', /--duration/);
    }
  });

  test('--gap is in milliseconds unless a unit says otherwise', () => {
    assert.equal(parseGapMs('100'), 100);
    assert.equal(parseGapMs('150ms'), 150);
    assert.equal(parseGapMs('1s'), 1000);
    throwsCode(() => parseGapMs('0'), 'usage');
    throwsCode(() => parseGapMs('11m'), 'usage');
  });

  test('--allow takes literal IPv4 and IPv6 addresses only', () => {
    assert.deepEqual(parseAllow('198.51.100.7'), { family: 4, bytes: Uint8Array.of(198, 51, 100, 7) });
    assert.equal(parseAllow('2001:db8::7').family, 6);
    for (const bad of ['web1.example', '1.2.3', '1.2.3.256', '01.2.3.4', '10.0.0.0/8', '2001:db8::/32', '']) {
      throwsCode(() => parseAllow(bad), 'usage', /--allow/);
    }
  });

  test('counts, ports, families', () => {
    assert.equal(parseCount('3', '--retries', 0, 20), 3);
    throwsCode(() => parseCount('21', '--retries', 0, 20), 'usage', /--retries/);
    throwsCode(() => parseCount('-1', '--retries', 0, 20), 'usage');
    throwsCode(() => parseCount('two', '--decoys', 0, 64), 'usage');
    assert.equal(parsePort('22'), 22);
    throwsCode(() => parsePort('0'), 'usage');
    throwsCode(() => parsePort('65536'), 'usage');
    assert.equal(parseFamily({ ipv6: true }), 6);
    assert.equal(parseFamily({}), undefined);
    throwsCode(() => parseFamily({ ipv4: true, ipv6: true }), 'usage');
  });

  test('open: flags and target become a request', (t) => {
    const config = join(tempDir(t), 'c.toml');
    importProfile(config, makeUri({ server: 'web1' }));
    importProfile(config, makeUri({ server: 'web2' }));
    const req = openRequest('ssh@web2', {
      config,
      duration: '5m',
      allow: '2001:db8::1',
      retries: '4',
      decoys: '2',
    });
    assert.equal(req.name, 'web2');
    assert.equal(req.service, 'ssh');
    assert.equal(req.durationSeconds, 300);
    assert.equal(req.sends, 5);
    assert.equal(req.decoys, 2);
    assert.equal(req.allow?.family, 6);
    const plain = openRequest('ssh@web1', { config, wait: false });
    assert.equal(plain.sends, 3, 'three sends by default');
    assert.equal(plain.wait, false);
    assert.equal(plain.durationSeconds, undefined);
    assert.equal(plain.allow, undefined);
    throwsCode(() => openRequest('ssh', { config }), 'ambiguous');
    throwsCode(() => openRequest('ssh@web1', { config, allow: 'web1' }), 'usage');
  });

  test('messages: seconds and elapsed times', () => {
    assert.equal(formatSeconds(30), '30 s');
    assert.equal(formatSeconds(300), '5 min');
    assert.equal(formatSeconds(5400), '1 h 30 min');
    assert.equal(formatElapsed(2.44), '2.4 ms');
    assert.equal(formatElapsed(153.2), '153 ms');
    assert.equal(formatElapsed(1234), '1.23 s');
  });
});

describe('host resolution', () => {
  test('literal addresses skip the resolver', async () => {
    const lookup = async () => assert.fail('must not be called');
    assert.deepEqual(await resolveHost('192.0.2.1', lookup), { address: '192.0.2.1', family: 4 });
    assert.deepEqual(await resolveHost('2001:db8::1', lookup), { address: '2001:db8::1', family: 6 });
  });

  test('names: the first address, or the first of the family asked for', async () => {
    const lookup = async () => [
      { address: '2001:db8::1', family: 6 as const },
      { address: '192.0.2.1', family: 4 as const },
    ];
    assert.equal((await resolveHost('web1.example', lookup)).address, '2001:db8::1');
    assert.equal((await resolveHost('web1.example', lookup, 4)).address, '192.0.2.1');
    await assert.rejects(
      resolveHost('v4only.example', async () => [{ address: '192.0.2.1', family: 4 }], 6),
      {
        code: 'resolve',
      },
    );
  });

  test('a name that does not resolve says so', async () => {
    const lookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    await assert.rejects(resolveHost('nope.invalid', lookup), (e: unknown) => {
      assert.ok(e instanceof ClientError);
      assert.equal(e.code, 'resolve');
      assert.match(e.message, /cannot resolve "nope\.invalid" \(ENOTFOUND\)/);
      assert.equal(e.exitCode, 4);
      return true;
    });
  });
});
