#!/usr/bin/env node
// Regenerates test/vectors/fwknop.json from the REAL fwknop client (fwknop-client 2.6.10).
//
//   pnpm exec tsc -b packages/shared && node test/vectors/generate-fwknop.mjs
//
// Each case runs `fwknop … --test -B FILE` (build the packet, never send it) with fixed
// keys, HOME set to a fresh temp dir, --no-rc-file and --no-save-args, and, when
// `unshare` works (root), inside a new network namespace that has no interfaces at all.
// The script refuses to write anything unless, for every case:
//   - the client printed "SPA packet not actually sent";
//   - Node's own crypto (OpenSSL) verifies the HMAC and decrypts the packet to exactly the
//     "Encoded Data" the client printed, followed by its "SPA Data Digest";
//   - our openFwknop decodes the same fields the client printed.
// Random value, timestamp and salt differ on every run: regenerate only on purpose.
import { execFileSync } from 'node:child_process';
import { createDecipheriv, createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import * as spa from '../../packages/shared/dist/src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const ramp = (n, f) => Buffer.from(Array.from({ length: n }, (_, i) => (f + i * 7) & 255));
const ENC_KEY = ramp(32, 1).toString('base64');
const HMAC_KEY = ramp(64, 100).toString('base64');
const OTHER_HMAC_KEY = ramp(64, 101).toString('base64');
const PASSPHRASE = 'correct horse battery';
const PREFIX = 'U2FsdGVkX1';
const MAC_LENGTH = { sha256: 43, sha384: 64, sha512: 86 };

const home = mkdtempSync(join(tmpdir(), 'fwknop-vectors-'));
const isolated = (() => {
  try {
    execFileSync('unshare', ['-n', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function fail(msg) {
  rmSync(home, { recursive: true, force: true });
  throw new Error(msg);
}

/** Runs the client in test mode; returns the saved packet and its verbose field dump. */
function runClient(args) {
  const out = join(home, 'packet.txt');
  rmSync(out, { force: true });
  const full = [
    ...['-D', '192.0.2.1', '--test', '--no-rc-file', '--no-save-args', '-U', 'alice', '-v', '-B', out],
    ...args,
  ];
  const [cmd, argv] = isolated ? ['unshare', ['-n', 'fwknop', ...full]] : ['fwknop', full];
  const text = execFileSync(cmd, argv, { env: { PATH: process.env.PATH, HOME: home }, encoding: 'utf8' });
  if (!text.includes('SPA packet not actually sent')) fail(`fwknop did not confirm test mode:\n${text}`);
  const field = (name) => {
    const m = new RegExp(`^\\s*${name}: (.*)$`, 'm').exec(text);
    if (!m) fail(`no "${name}" in fwknop output:\n${text}`);
    return m[1];
  };
  return {
    wire: readFileSync(out, 'utf8').replace(/\n$/, ''),
    fields: {
      randomValue: field('Random Value'),
      username: field('Username'),
      timestampSec: Number(field('Timestamp')),
      version: field('FKO Version'),
      typeCode: Number(field('Message Type').split(' ')[0]),
      message: field('Message String'),
      natAccess: field('Nat Access'),
      clientTimeoutSec: Number(field('Client Timeout')),
      encoded: field('Encoded Data'),
      digest: field('SPA Data Digest'),
    },
  };
}

/** Independent check with OpenSSL (node:crypto): HMAC, EVP_BytesToKey(MD5), AES-256-CBC. */
function opensslOpen(wire, encKey, hmacKey, digest) {
  const body = wire.slice(0, wire.length - MAC_LENGTH[digest]);
  const mac = createHmac(digest, hmacKey)
    .update(PREFIX + body)
    .digest('base64')
    .replace(/=+$/, '');
  if (mac !== wire.slice(body.length)) fail('OpenSSL HMAC disagrees with the client');
  const blob = Buffer.from(PREFIX + body, 'base64');
  if (blob.subarray(0, 8).toString('latin1') !== 'Salted__') fail('no Salted__ magic');
  const salt = blob.subarray(8, 16);
  let d = Buffer.alloc(0);
  let prev = Buffer.alloc(0);
  while (d.length < 48) {
    prev = createHash('md5').update(Buffer.concat([prev, encKey, salt])).digest();
    d = Buffer.concat([d, prev]);
  }
  const dec = createDecipheriv('aes-256-cbc', d.subarray(0, 32), d.subarray(32, 48));
  return Buffer.concat([dec.update(blob.subarray(16)), dec.final()]).toString('latin1');
}

function expectedFields(f) {
  const type = spa.FWKNOP_MESSAGE_TYPES[f.typeCode];
  const [ip, ...rest] = f.message.split(',');
  const out = {
    randomValue: f.randomValue,
    username: f.username,
    timestampSec: f.timestampSec,
    version: f.version,
    type,
    message: f.message,
    clientTimeoutSec: f.clientTimeoutSec,
  };
  if (type === 'command') out.command = rest.join(',');
  else
    out.access = {
      allow: ip === '0.0.0.0' ? 'source' : ip,
      ports: rest.map((p) => ({ protocol: p.split('/')[0], port: Number(p.split('/')[1]) })),
    };
  if (f.natAccess !== '<NULL>') out.natAccess = f.natAccess;
  return out;
}

/** Our decoder's view, in the JSON form of expectedFields. */
function ours(wire, keys) {
  const client = spa.prepareFwknopClient(keys);
  const r = spa.openFwknop(new TextEncoder().encode(wire), client);
  if (!r.ok) return r.reason;
  const { access, digest: _digest, ...rest } = r.value;
  if (access) rest.access = { allow: access.allow === 'source' ? 'source' : spa.formatIp(access.allow), ports: access.ports };
  return rest;
}

const vectors = [];
const base = ['--key-base64-hmac', HMAC_KEY, '--use-hmac'];
const b64Key = ['--key-base64-rijndael', ENC_KEY];

function positive(name, args, { passphrase = false, hmacDigest = 'sha256', plainDigest = 'sha256' } = {}) {
  const all = [...(passphrase ? ['--key-rijndael', PASSPHRASE] : b64Key), ...base, ...args];
  if (hmacDigest !== 'sha256') all.push('--hmac-digest-type', hmacDigest);
  if (plainDigest !== 'sha256') all.push('-m', plainDigest);
  const { wire, fields } = runClient(all);
  const encKey = passphrase ? Buffer.from(PASSPHRASE) : Buffer.from(ENC_KEY, 'base64');
  const plain = opensslOpen(wire, encKey, Buffer.from(HMAC_KEY, 'base64'), hmacDigest);
  if (plain !== `${fields.encoded}:${fields.digest}`) fail(`${name}: OpenSSL plaintext differs from the client's`);
  const expected = expectedFields(fields);
  const keys = { encKey, hmacKey: Buffer.from(HMAC_KEY, 'base64'), hmacDigest };
  const got = ours(wire, keys);
  if (!isDeepStrictEqual(got, expected))
    fail(`${name}: openFwknop disagrees\n  ours:   ${JSON.stringify(got)}\n  client: ${JSON.stringify(expected)}`);
  const v = {
    name,
    fwknopArgs: all.map((a) => (a === HMAC_KEY || a === ENC_KEY ? '…' : a)),
    keys: {
      ...(passphrase ? { encKeyPassphrase: PASSPHRASE } : { encKeyBase64: ENC_KEY }),
      hmacKeyBase64: HMAC_KEY,
      hmacDigest,
    },
    wire,
    plaintext: plain,
    expect: 'ok',
    decoded: expected,
  };
  vectors.push(v);
  return v;
}

function negative(name, reason, wire, keys) {
  const decodeKeys = {
    encKey: keys.encKeyPassphrase ? Buffer.from(keys.encKeyPassphrase) : Buffer.from(keys.encKeyBase64, 'base64'),
    hmacKey: Buffer.from(keys.hmacKeyBase64, 'base64'),
    hmacDigest: keys.hmacDigest,
  };
  const got = ours(wire, decodeKeys);
  if (got !== reason) fail(`${name}: expected ${reason}, openFwknop says ${JSON.stringify(got)}`);
  vectors.push({ name, keys, wire, expect: reason });
}

const literal = positive('access, literal -a address', ['-A', 'tcp/22', '-a', '192.0.2.10']);
positive('access, -s (source address, sent as 0.0.0.0)', ['-A', 'tcp/22', '-s']);
positive('client timeout -f 60', ['-A', 'tcp/22', '-a', '192.0.2.10', '-f', '60']);
positive('two ports tcp/22,udp/53', ['-A', 'tcp/22,udp/53', '-a', '192.0.2.10']);
positive('HMAC SHA-512', ['-A', 'tcp/22', '-a', '192.0.2.10'], { hmacDigest: 'sha512' });
positive('HMAC SHA-384', ['-A', 'tcp/443', '-a', '192.0.2.10'], { hmacDigest: 'sha384' });
positive('passphrase key (--key-rijndael)', ['-A', 'tcp/22', '-a', '192.0.2.10'], { passphrase: true });
positive('plaintext digest MD5 (-m md5)', ['-A', 'tcp/22', '-a', '192.0.2.10'], { plainDigest: 'md5' });
positive('plaintext digest SHA-512 (-m sha512)', ['-A', 'tcp/22', '-a', '192.0.2.10'], { plainDigest: 'sha512' });
positive('command message -C true (a server must refuse it)', ['-C', 'true', '-a', '192.0.2.10']);
positive('NAT access -N 10.0.0.5:22', ['-A', 'tcp/22', '-a', '192.0.2.10', '-N', '10.0.0.5:22']);
positive('client timeout local NAT --nat-local -f 30', ['-A', 'tcp/22', '-a', '192.0.2.10', '--nat-local', '-f', '30']);

const lk = literal.keys;
const w = literal.wire;
const flip = (s, i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
negative('HMAC: last character changed', 'mac', flip(w, w.length - 1), lk);
negative('HMAC: first character changed', 'mac', flip(w, w.length - 43), lk);
negative('ciphertext: one character changed', 'mac', flip(w, 20), lk);
negative('wrong HMAC key', 'mac', w, { ...lk, hmacKeyBase64: OTHER_HMAC_KEY });
negative('"U2FsdGVkX1" prefix kept', 'fwknop-shape', PREFIX + w, lk);
negative('truncated by one character', 'fwknop-shape', w.slice(0, -1), lk);
negative('truncated to half', 'fwknop-shape', w.slice(0, w.length >> 1), lk);
negative('HMAC removed (43 characters less: the shape still fits)', 'mac', w.slice(0, -43), lk);
negative('empty', 'fwknop-shape', '', lk);
negative('trailing newline', 'fwknop-shape', `${w}\n`, lk);
const noHmac = runClient([...b64Key, '-A', 'tcp/22', '-a', '192.0.2.10']).wire;
negative('made without --use-hmac', 'mac', noHmac, lk);

rmSync(home, { recursive: true, force: true });
const file = join(here, 'fwknop.json');
const source = `${execFileSync('fwknop', ['--version'], { encoding: 'utf8' }).trim()}, --test mode${isolated ? ' in an empty network namespace' : ''}; HMAC and AES cross-checked with OpenSSL (node:crypto)`;
writeFileSync(file, `${JSON.stringify({ source, vectors }, null, 2)}\n`);
process.stdout.write(`wrote ${file} (${vectors.length} vectors)\n`);
