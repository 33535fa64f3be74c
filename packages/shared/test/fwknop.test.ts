import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  encodeFwknopPlaintext,
  FWKNOP_REASONS,
  type FwknopKeys,
  type FwknopMessage,
  type FwknopMessageInput,
  type FwknopReason,
  fromBase64,
  fwknopAccessMessage,
  fwknopMacMatches,
  fwknopReplayId,
  openFwknop,
  type PreparedFwknopClient,
  parseIp,
  prepareFwknopClient,
  SpaError,
  sealFwknop,
  sealFwknopPlaintext,
  utf8,
} from '../src/index.js';

const keys: FwknopKeys = {
  encKey: new Uint8Array(32).fill(0x61),
  hmacKey: new Uint8Array(64).fill(0x62),
  hmacDigest: 'sha256',
};
const salt = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
const client = prepareFwknopClient(keys);

function input(over: Partial<FwknopMessageInput> = {}): FwknopMessageInput {
  return {
    randomValue: '1234567890123456',
    username: 'alice',
    timestampSec: 1_795_795_213,
    type: 'access',
    message: '192.0.2.10,tcp/22',
    ...over,
  };
}

const open = (wire: Uint8Array, c: PreparedFwknopClient = client) => openFwknop(wire, c);
const reasonOf = (over: Partial<FwknopMessageInput>) => {
  const r = open(sealFwknop(input(over), keys, salt));
  return r.ok ? 'ok' : r.reason;
};
const reasonOfPlain = (plaintext: string) => {
  const r = open(sealFwknopPlaintext(plaintext, keys, salt));
  return r.ok ? 'ok' : r.reason;
};
const isReason = (r: string) => (FWKNOP_REASONS as readonly string[]).includes(r);

describe('seal/open round trip', () => {
  test('access message, literal address', () => {
    const r = open(sealFwknop(input(), keys, salt));
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.username, 'alice');
    assert.equal(r.value.timestampSec, 1_795_795_213);
    assert.equal(r.value.version, '3.0.0');
    assert.equal(r.value.clientTimeoutSec, 0);
    assert.deepEqual(r.value.access, {
      allow: parseIp('192.0.2.10'),
      ports: [{ protocol: 'tcp', port: 22 }],
    });
  });

  test('every message type, with NAT, server auth and timeouts where the type has them', () => {
    const cases: [FwknopMessageInput, Partial<FwknopMessage>][] = [
      [input({ type: 'command', message: '192.0.2.10,true' }), { command: 'true' }],
      [
        input({ message: '0.0.0.0,tcp/22,udp/53' }),
        {
          access: {
            allow: 'source',
            ports: [
              { protocol: 'tcp', port: 22 },
              { protocol: 'udp', port: 53 },
            ],
          },
        },
      ],
      [input({ type: 'nat-access', natAccess: '10.0.0.5,22' }), { natAccess: '10.0.0.5,22' }],
      [input({ type: 'client-timeout-access', clientTimeoutSec: 60 }), { clientTimeoutSec: 60 }],
      [
        input({ type: 'client-timeout-nat-access', natAccess: '10.0.0.5,22', clientTimeoutSec: 30 }),
        { natAccess: '10.0.0.5,22', clientTimeoutSec: 30 },
      ],
      [input({ type: 'local-nat-access', natAccess: '192.0.2.1,22' }), { natAccess: '192.0.2.1,22' }],
      [
        input({ type: 'client-timeout-local-nat-access', natAccess: '192.0.2.1,22', clientTimeoutSec: 5 }),
        { clientTimeoutSec: 5 },
      ],
      [input({ serverAuth: 'secret words' }), { serverAuth: 'secret words' }],
      [
        input({ type: 'client-timeout-access', serverAuth: 'pw', clientTimeoutSec: 9 }),
        { serverAuth: 'pw', clientTimeoutSec: 9 },
      ],
      [input({ digest: 'md5' }), { digest: 'md5' }],
      [input({ digest: 'sha1' }), { digest: 'sha1' }],
      [input({ digest: 'sha384' }), { digest: 'sha384' }],
      [input({ digest: 'sha512' }), { digest: 'sha512' }],
    ];
    for (const [msg, want] of cases) {
      const r = open(sealFwknop(msg, keys, salt));
      assert.ok(r.ok, `${JSON.stringify(msg)} → ${JSON.stringify(r)}`);
      assert.equal(r.value.type, msg.type);
      for (const [k, v] of Object.entries(want)) assert.deepEqual(r.value[k as keyof FwknopMessage], v, k);
    }
  });

  test('HMAC SHA-384 and SHA-512 clients, and a passphrase key', () => {
    for (const hmacDigest of ['sha384', 'sha512'] as const) {
      const k = { ...keys, hmacDigest };
      assert.ok(open(sealFwknop(input(), k, salt), prepareFwknopClient(k)).ok);
      // The same packet under a client configured for SHA-256 does not pass.
      assert.equal(fwknopMacMatches(sealFwknop(input(), k, salt), client), false);
    }
    const k = { ...keys, encKey: utf8('a passphrase') };
    assert.ok(open(sealFwknop(input(), k, salt), prepareFwknopClient(k)).ok);
  });

  test('fwknopAccessMessage writes what the client writes', () => {
    assert.equal(fwknopAccessMessage('source', [{ protocol: 'tcp', port: 22 }]), '0.0.0.0,tcp/22');
    assert.equal(
      fwknopAccessMessage(parseIp('192.0.2.10')!, [
        { protocol: 'tcp', port: 22 },
        { protocol: 'udp', port: 53 },
      ]),
      '192.0.2.10,tcp/22,udp/53',
    );
  });

  test('round-trips any valid access message (property)', () => {
    const port = fc.record(
      { protocol: fc.constantFrom('tcp' as const, 'udp' as const), port: fc.integer({ min: 1, max: 65535 }) },
      { noNullPrototype: true },
    );
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9]{16}$/),
        fc.stringMatching(/^[a-zA-Z0-9_.@ -]{1,32}$/),
        fc.integer({ min: 0, max: 2 ** 32 }),
        fc.array(port, { minLength: 1, maxLength: 8 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        (randomValue, username, timestampSec, ports, s) => {
          const message = fwknopAccessMessage(parseIp('198.51.100.7')!, ports);
          const r = open(sealFwknop(input({ randomValue, username, timestampSec, message }), keys, s));
          assert.ok(r.ok, JSON.stringify(r));
          assert.equal(r.value.username, username);
          assert.equal(r.value.timestampSec, timestampSec);
          assert.deepEqual(r.value.access?.ports, ports);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('reasons', () => {
  test('wrong encryption key with the right HMAC key: decrypt or digest, never ok', () => {
    const other = prepareFwknopClient({ ...keys, encKey: new Uint8Array(32).fill(0x63) });
    for (let i = 0; i < 20; i++) {
      const r = open(sealFwknop(input(), keys, Uint8Array.from([i, 2, 3, 4, 5, 6, 7, 8])), other);
      assert.ok(!r.ok && (r.reason === 'fwknop-decrypt' || r.reason === 'fwknop-digest'), JSON.stringify(r));
    }
  });

  test('version other than 3.0.0', () => {
    assert.equal(reasonOf({ version: '2.0.0' }), 'fwknop-version');
  });

  test('malformed access or command messages', () => {
    for (const message of [
      '192.0.2.10',
      '192.0.2.10,',
      '192.0.2.10,tcp/0',
      '192.0.2.10,tcp/65536',
      '192.0.2.10,TCP/22',
      '192.0.2.10,icmp/1',
      '192.0.2.10,tcp/22,',
      '192.0.2.10, tcp/22',
      '192.0.2.010,tcp/22',
      '2001:db8::1,tcp/22',
      'example.com,tcp/22',
      '192.0.2.10,tcp/22-25',
    ])
      assert.equal(reasonOf({ message }), 'fwknop-access', message);
    assert.equal(reasonOf({ type: 'command', message: 'true' }), 'fwknop-access');
    assert.equal(reasonOf({ type: 'command', message: '192.0.2.10,' }), 'fwknop-access');
    // Leading zeros in a port are what the client sends for -A tcp/022.
    assert.equal(reasonOf({ message: '192.0.2.10,tcp/022' }), 'ok');
  });

  test('fields out of shape', () => {
    assert.equal(reasonOf({ randomValue: '123456789012345' }), 'fwknop-fields');
    assert.equal(reasonOf({ randomValue: '12345678901234567' }), 'fwknop-fields');
    assert.equal(reasonOf({ randomValue: '12345678901234x6' }), 'fwknop-fields');
    assert.equal(reasonOf({ username: '' }), 'fwknop-fields');
    assert.equal(reasonOf({ username: 'a'.repeat(65) }), 'fwknop-fields');
    assert.equal(reasonOf({ username: 'tab\there' }), 'fwknop-fields');
    assert.equal(reasonOf({ timestampSec: -1 }), 'fwknop-fields');
    assert.equal(reasonOf({ message: '' }), 'fwknop-fields');
    assert.equal(reasonOf({ type: 'nat-access' }), 'fwknop-fields'); // NAT field missing
    assert.equal(reasonOf({ type: 'nat-access', natAccess: '10.0.0.5' }), 'fwknop-fields');
    assert.equal(reasonOf({ type: 'client-timeout-access' }), 'fwknop-fields'); // timeout missing
    assert.equal(reasonOf({ clientTimeoutSec: 60 }), 'fwknop-fields'); // "60" is no base64 server auth text
    assert.equal(reasonOf({ serverAuth: 'a', natAccess: '10.0.0.5,22' }), 'fwknop-fields'); // one too many
  });

  test('digest problems', () => {
    const good = encodeFwknopPlaintext(input());
    assert.equal(reasonOfPlain(good), 'ok');
    const cut = good.lastIndexOf(':');
    assert.equal(reasonOfPlain(`${good.slice(0, cut + 1)}${'A'.repeat(43)}`), 'fwknop-digest');
    assert.equal(reasonOfPlain(good.slice(0, -1)), 'fwknop-digest');
    assert.equal(reasonOfPlain(good.slice(0, cut)), 'fwknop-digest');
    assert.equal(reasonOfPlain(`${good}\n`), 'fwknop-digest');
    assert.equal(reasonOfPlain('no colon at all'), 'fwknop-digest');
  });

  test('shape: size, characters, kept prefix', () => {
    const wire = sealFwknop(input(), keys, salt);
    const text = Buffer.from(wire).toString('latin1');
    assert.deepEqual(open(utf8(`U2FsdGVkX1${text}`)), { ok: false, reason: 'fwknop-shape' });
    assert.deepEqual(open(utf8(`${text}=`)), { ok: false, reason: 'fwknop-shape' });
    assert.deepEqual(open(utf8(`${text.slice(0, 5)}.${text.slice(6)}`)), {
      ok: false,
      reason: 'fwknop-shape',
    });
    assert.deepEqual(open(new Uint8Array(1501).fill(0x41)), { ok: false, reason: 'fwknop-shape' });
    assert.deepEqual(open(new Uint8Array(0)), { ok: false, reason: 'fwknop-shape' });
    const padded = Uint8Array.from(wire);
    padded[3] = 0xc3;
    assert.deepEqual(open(padded), { ok: false, reason: 'fwknop-shape' });
  });

  test('replay id: 16 bytes, a function of the wire data only', () => {
    const a = sealFwknop(input(), keys, salt);
    assert.equal(fwknopReplayId(a).length, 16);
    assert.deepEqual(fwknopReplayId(a), fwknopReplayId(Uint8Array.from(a)));
    assert.notDeepEqual(
      fwknopReplayId(a),
      fwknopReplayId(
        sealFwknop(
          input(),
          keys,
          salt.map((b) => b + 1),
        ),
      ),
    );
  });

  test('bad keys are configuration errors that throw SpaError', () => {
    assert.throws(() => prepareFwknopClient({ ...keys, encKey: new Uint8Array(0) }), SpaError);
    assert.throws(() => prepareFwknopClient({ ...keys, encKey: new Uint8Array(33) }), SpaError);
    assert.throws(() => prepareFwknopClient({ ...keys, hmacKey: new Uint8Array(129) }), SpaError);
    // biome-ignore lint/suspicious/noExplicitAny: testing a wrong value
    assert.throws(() => prepareFwknopClient({ ...keys, hmacDigest: 'md5' as any }), SpaError);
    assert.throws(() => sealFwknop(input(), keys, new Uint8Array(7)), SpaError);
  });
});

describe('attacker bytes (property)', () => {
  const check = (wire: Uint8Array, c = client) => {
    const r = open(wire, c);
    assert.ok(r.ok || isReason(r.reason as FwknopReason), JSON.stringify(r));
    assert.equal(typeof fwknopMacMatches(wire, c), 'boolean');
    return r;
  };

  test('random bytes and random base64 text never throw and never open', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1600 }), (b) => assert.equal(check(b).ok, false)),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9+/]{60,400}$/), (s) =>
        assert.equal(check(utf8(s)).ok, false),
      ),
      { numRuns: 500 },
    );
  });

  test('every single-character mutation of a valid packet fails or decodes to the same message', () => {
    const wire = sealFwknop(input({ type: 'client-timeout-access', clientTimeoutSec: 60 }), keys, salt);
    const orig = open(wire);
    assert.ok(orig.ok);
    const alphabet = utf8('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=:\n\0');
    let opened = 0;
    for (let i = 0; i < wire.length; i++) {
      for (const ch of alphabet) {
        if (ch === wire[i]) continue;
        const m = Uint8Array.from(wire);
        m[i] = ch;
        const r = check(m);
        if (r.ok) {
          opened++;
          assert.deepEqual(r.value, orig.value);
        }
      }
      check(Uint8Array.from([...wire.subarray(0, i), ...wire.subarray(i + 1)])); // deletion
      const ins = Uint8Array.from([...wire.subarray(0, i), 0x41, ...wire.subarray(i)]); // insertion
      assert.equal(check(ins).ok, false);
    }
    assert.equal(opened, 0);
  });

  test('authentic packets with random plaintext never throw (keyholder fuzz)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (plaintext) => {
        check(sealFwknopPlaintext(plaintext, keys, salt));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[A-Za-z0-9+/.,]{0,24}$/), { minLength: 1, maxLength: 12 }),
        (fields) => {
          const body = fields.join(':');
          check(
            sealFwknopPlaintext(`${body}:${encodeFwknopPlaintext(input()).split(':').pop()}`, keys, salt),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});

test('fromBase64: KEY_BASE64 text, padding optional, otherwise strict', () => {
  assert.deepEqual(fromBase64('QUJD'), new TextEncoder().encode('ABC'));
  assert.deepEqual(fromBase64('QQ=='), new TextEncoder().encode('A'));
  assert.deepEqual(fromBase64('QQ'), new TextEncoder().encode('A'));
  for (const bad of ['', '=', 'QQ===', 'QR==', 'QUJDR', 'QU JD', 'QUJD\n', '-_-_'])
    assert.equal(fromBase64(bad), undefined, JSON.stringify(bad));
});
