/** [fwknop] and [fwknop_clients.NAME]: what the loader accepts and the errors it gives. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertConfigError, parse } from './_fixtures.js';

const KEY_B64 = Buffer.alloc(32, 7).toString('base64');
const HMAC_B64 = Buffer.alloc(64, 9).toString('base64');

function fwknopClient(body: string, name = 'laptop'): string {
  return `[fwknop_clients.${name}]\n${body}`;
}

const VALID = `key_base64 = "${KEY_B64}"\nhmac_key_base64 = "${HMAC_B64}"\nservices = ["ssh"]`;

test('no fwknop tables: default port, no clients', () => {
  const c = parse();
  assert.equal(c.fwknop.port, 62201);
  assert.equal(c.fwknop.clients.size, 0);
});

test('a full fwknop client: keys decoded, standing and limits read', () => {
  const c = parse({
    policy: 'max_duration = "10m"',
    extra: `[fwknop]\nport = 62000\n\n${fwknopClient(
      `${VALID}\nhmac_digest = "sha512"\nallowed_sources = ["192.0.2.0/24"]\nrequire_literal_address = true\nrequire_username = "alice"\ndefault_duration = "45s"\nmax_duration = "2m"\nexpires = 2030-01-01`,
    )}`,
  });
  assert.equal(c.fwknop.port, 62000);
  const f = c.fwknop.clients.get('laptop');
  assert.ok(f);
  assert.deepEqual([...f.encKey], [...Buffer.alloc(32, 7)]);
  assert.deepEqual([...f.hmacKey], [...Buffer.alloc(64, 9)]);
  assert.equal(f.hmacDigest, 'sha512');
  assert.deepEqual(f.services, ['ssh']);
  assert.equal(f.requireLiteralAddress, true);
  assert.equal(f.requireUsername, 'alice');
  assert.equal(f.defaultDurationSeconds, 45);
  assert.equal(f.maxDurationSeconds, 120);
  assert.equal(f.expiresAtMs, Date.UTC(2030, 0, 1));
  assert.equal(f.allowedSources.length, 1);
});

test('passphrase keys are their UTF-8 bytes; defaults follow [policy]', () => {
  const c = parse({
    policy: 'require_literal_address = true',
    extra: fwknopClient('key = "correct horse"\nhmac_key = "battery staple"\nservices = ["ssh"]'),
  });
  const f = c.fwknop.clients.get('laptop')!;
  assert.equal(Buffer.from(f.encKey).toString(), 'correct horse');
  assert.equal(Buffer.from(f.hmacKey).toString(), 'battery staple');
  assert.equal(f.hmacDigest, 'sha256');
  assert.equal(f.requireLiteralAddress, true);
  assert.equal(f.defaultDurationSeconds, undefined);
});

test('an HMAC key is required', () => {
  assertConfigError(
    { extra: fwknopClient(`key_base64 = "${KEY_B64}"\nservices = ["ssh"]`) },
    'fwknop_clients.laptop.hmac_key_base64',
    /missing hmac_key_base64/,
  );
});

test('key errors name the key', () => {
  assertConfigError(
    {
      extra: fwknopClient(`key_base64 = "not base64!"\nhmac_key_base64 = "${HMAC_B64}"\nservices = ["ssh"]`),
    },
    'fwknop_clients.laptop.key_base64',
    /not valid base64/,
  );
  assertConfigError(
    { extra: fwknopClient(`${VALID}\nkey = "also"`) },
    'fwknop_clients.laptop.key',
    /both key and key_base64/,
  );
  assertConfigError(
    {
      extra: fwknopClient(
        `key_base64 = "${Buffer.alloc(33, 1).toString('base64')}"\nhmac_key_base64 = "${HMAC_B64}"\nservices = ["ssh"]`,
      ),
    },
    'fwknop_clients.laptop.key_base64',
    /33 bytes/,
  );
  assertConfigError(
    { extra: fwknopClient(`${VALID}\nhmac_digest = "md5"`) },
    'fwknop_clients.laptop.hmac_digest',
    /md5/,
  );
});

test('unknown keys, unknown services and bad durations are refused', () => {
  assertConfigError(
    { extra: fwknopClient(`${VALID}\nenable_cmd_exec = true`) },
    'fwknop_clients.laptop.enable_cmd_exec',
    /unknown key/,
  );
  assertConfigError(
    { extra: fwknopClient(`key_base64 = "${KEY_B64}"\nhmac_key_base64 = "${HMAC_B64}"\nservices = ["vnc"]`) },
    'fwknop_clients.laptop.services[0]',
    /unknown service "vnc"/,
  );
  assertConfigError(
    { extra: fwknopClient(`${VALID}\ndefault_duration = "10m"`) },
    'fwknop_clients.laptop.default_duration',
    /longer than the maximum grant \(300s\)/,
  );
});

test('names are unique across [clients] and [fwknop_clients]', () => {
  assertConfigError(
    { extra: fwknopClient(VALID, 'alice') },
    'fwknop_clients.alice',
    /also a client under \[clients\]/,
  );
});

test('the fwknop port may not be a knock port, a sequence port or a udp service', () => {
  assertConfigError(
    { extra: `[fwknop]\nport = 40001\n\n${fwknopClient(VALID)}` },
    'fwknop.port',
    /inside the knock port range/,
  );
  assertConfigError(
    { services: 'ssh = "22/tcp"\ndns = "62201/udp"', extra: fwknopClient(VALID) },
    'fwknop',
    /is service dns/,
  );
});
