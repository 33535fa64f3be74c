import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ClientProfile, DEFAULT_SEQUENCE, encodeProfile, parseProfile } from '../src/index.js';
import { clientSecret, serverId, serverSecret } from './helpers.js';

const profile: ClientProfile = {
  server: 'web1',
  client: 'alice',
  host: '192.0.2.1',
  serverId,
  serverSecret,
  clientSecret,
  knock: { mode: 'rotating', range: [40000, 49999] },
  stepSeconds: 30,
  services: { ssh: { protocol: 'tcp', port: 22 }, dns: { protocol: 'udp', port: 53 } },
  sequence: { ...DEFAULT_SEQUENCE, gapMs: 5000 },
};

test('profile round-trip, one line', () => {
  const uri = encodeProfile(profile);
  assert.match(uri, /^spa:\/\/v1\/[A-Za-z0-9_-]+\.[0-9a-f]{8}$/);
  assert.deepEqual(parseProfile(uri), profile);
  const fixed = { ...profile, knock: { mode: 'fixed' as const, port: 62201 } };
  delete (fixed as { sequence?: unknown }).sequence;
  assert.deepEqual(parseProfile(encodeProfile(fixed)), fixed);
});

test('tolerates line breaks and spaces from a terminal', () => {
  const uri = encodeProfile(profile);
  const wrapped = `  ${uri.slice(0, 60)}\n${uri.slice(60, 200)}\r\n ${uri.slice(200)}\n`;
  assert.deepEqual(parseProfile(wrapped), profile);
});

test('damage is reported with what is wrong', () => {
  const uri = encodeProfile(profile);
  const cases: Array<[string, RegExp]> = [
    ['http://x', /must start with spa:\/\//],
    [uri.replace('spa://v1/', 'spa://v2/'), /version 2 is not supported/],
    [uri.slice(0, -3), /cut or altered/],
    [uri.slice(0, 40) + (uri[40] === 'A' ? 'B' : 'A') + uri.slice(41), /checksum mismatch/],
    [`${uri.split('.')[0]}.00000000`, /checksum mismatch/],
  ];
  for (const [input, msg] of cases) {
    assert.throws(
      () => parseProfile(input),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'profile');
        assert.match(e.message, msg);
        return true;
      },
    );
  }
});

test('missing and bad fields are named', async () => {
  const { sha256 } = await import('@noble/hashes/sha2.js');
  const { concat, toBase64Url, toHex, utf8 } = await import('../src/bytes.js');
  const make = (body: object) => {
    const json = utf8(JSON.stringify(body));
    const sum = toHex(sha256(concat(utf8('spa profile v1'), json)).subarray(0, 4));
    return `spa://v1/${toBase64Url(json)}.${sum}`;
  };
  const good = JSON.parse(
    Buffer.from(encodeProfile(profile).slice(9).split('.')[0]!, 'base64url').toString(),
  );
  const without = (k: string) => Object.fromEntries(Object.entries(good).filter(([key]) => key !== k));
  assert.throws(() => parseProfile(make(without('host'))), /field "host" is missing/);
  assert.throws(() => parseProfile(make({ ...good, host: 'a b' })), /field "host"/);
  assert.throws(() => parseProfile(make({ ...good, clientKey: 'spak1xyz' })), /field "clientKey"/);
  assert.throws(
    () => parseProfile(make({ ...good, services: { ssh: '22' } })),
    /service "ssh" must look like "22\/tcp"/,
  );
  assert.throws(() => parseProfile(make({ ...good, knock: { range: [5, 1] } })), /knock/);
  assert.throws(() => parseProfile(make({ ...good, step: 0 })), /field "step"/);
  assert.throws(
    () => parseProfile(make({ ...good, sequence: { ...good.sequence, length: 99 } })),
    /sequence/,
  );
});
