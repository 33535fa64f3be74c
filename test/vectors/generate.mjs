#!/usr/bin/env node
// Regenerates the known-answer vectors in this folder from fixed inputs.
//
//   pnpm exec tsc -b packages/shared && node test/vectors/generate.mjs
//
// Every value that a second implementation can compute is cross-checked here against
// Node's own crypto (OpenSSL): HKDF subkeys, HMAC tags (lookup, port, sequence blocks,
// knock tag) and the ChaCha20-Poly1305 part of XChaCha20-Poly1305. The script refuses to
// write a vector that disagrees. Run it only when the protocol changes on purpose.
import { createCipheriv, createHmac, hkdfSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hchacha } from '../../packages/shared/node_modules/@noble/ciphers/chacha.js';
import * as spa from '../../packages/shared/dist/src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const hex = (b) => Buffer.from(b).toString('hex');
const seq = (n, f) => Uint8Array.from({ length: n }, (_, i) => (f + i * 7) & 255);

function check(label, a, b) {
  if (a !== b) throw new Error(`cross-check failed: ${label}\n  ours:    ${a}\n  openssl: ${b}`);
}

function write(name, source, vectors) {
  const file = join(here, name);
  writeFileSync(file, `${JSON.stringify({ source, vectors }, null, 2)}\n`);
  process.stdout.write(`wrote ${file} (${vectors.length} vectors)\n`);
}

// --- keys -------------------------------------------------------------------------------
const clientSecret = seq(32, 1);
const serverSecret = seq(32, 100);
const serverId = seq(16, 200);
const ck = spa.deriveClientKeys(clientSecret);
const sk = spa.deriveServerKeys(serverSecret);
const hkdf = (ikm, info) => hex(Buffer.from(hkdfSync('sha256', ikm, 'spa/v1', `spa/v1 ${info}`, 32)));
for (const [k, info] of [
  ['enc', 'client enc'],
  ['mac', 'client mac'],
  ['lookup', 'client lookup'],
  ['sequence', 'client sequence'],
]) {
  check(`client ${k}`, hex(ck[k]), hkdf(clientSecret, info));
}
check('server port', hex(sk.port), hkdf(serverSecret, 'server port'));
check('server header', hex(sk.header), hkdf(serverSecret, 'server header'));
write('keys.json', 'spa-generated, HKDF cross-checked with OpenSSL (node:crypto hkdfSync)', [
  {
    kind: 'client',
    secret: hex(clientSecret),
    text: spa.encodeSecret('client', clientSecret),
    subkeys: { enc: hex(ck.enc), mac: hex(ck.mac), lookup: hex(ck.lookup), sequence: hex(ck.sequence) },
  },
  {
    kind: 'server',
    secret: hex(serverSecret),
    text: spa.encodeSecret('server', serverSecret),
    subkeys: { port: hex(sk.port), header: hex(sk.header) },
  },
]);

// --- rotating ports and lookup tags -----------------------------------------------------
const u64 = (n) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};
const range = [40000, 49999];
const portVectors = [0, 1, 59_999_999, 60_000_000, 60_000_001, 2 ** 40].map((step) => {
  const port = spa.knockPort(sk.port, step, { mode: 'rotating', range });
  const mac = createHmac('sha256', sk.port).update('spa/v1 port').update(u64(step)).digest();
  check(`port ${step}`, String(port), String(range[0] + (mac.readUInt32BE(0) % (range[1] - range[0] + 1))));
  return { portKey: hex(sk.port), step, range, port };
});
write('knock-port.json', 'spa-generated, HMAC cross-checked with OpenSSL', portVectors);

const lookupVectors = [0, 60_000_000, 60_000_001].map((step) => {
  const tag = spa.lookupTag(ck.lookup, step);
  const mac = createHmac('sha256', ck.lookup).update('spa/v1 lookup').update(u64(step)).digest();
  check(`lookup ${step}`, hex(tag), mac.subarray(0, 8).toString('hex'));
  return { lookupKey: hex(ck.lookup), step, tag: hex(tag) };
});
write('lookup.json', 'spa-generated, HMAC cross-checked with OpenSSL', lookupVectors);

// --- one-time sequences -----------------------------------------------------------------
const seqVectors = [];
for (const [step, service, protocol, length] of [
  [60_000_000, 'ssh', 'tcp', 4],
  [60_000_001, 'ssh', 'tcp', 4],
  [60_000_000, 'web', 'udp', 6],
  [60_000_000, 'ssh', 'mixed', 8],
]) {
  const spec = { length, protocol, range: [50000, 59999] };
  const knocks = spa.deriveSequence(ck.sequence, step, service, spec);
  // Cross-check the first knock from the first HMAC block.
  const block = createHmac('sha256', ck.sequence)
    .update(Buffer.concat([Buffer.from('spa/v1 sequence'), u64(step), Buffer.from([service.length]), Buffer.from(service), Buffer.alloc(4)]))
    .digest();
  const w = block.readUInt32BE(0);
  const first = protocol === 'mixed' ? 50000 + ((w & 0x7fffffff) % 10000) : 50000 + (w % 10000);
  check(`sequence ${step} ${service}`, String(knocks[0].port), String(first));
  seqVectors.push({ sequenceKey: hex(ck.sequence), step, service, spec, knocks });
}
write('sequence.json', 'spa-generated, first knock cross-checked with OpenSSL HMAC', seqVectors);

// --- packets ----------------------------------------------------------------------------
const mask = new spa.LookupMask(sk.header);
const NOW = 1_800_000_000_000;
const basePayload = {
  version: 1,
  timestampMs: NOW,
  oneTimeId: seq(16, 50),
  serverId,
  durationSeconds: 0,
  target: { kind: 'source' },
  access: [{ kind: 'service', name: 'ssh' }],
};
function describePayload(p) {
  return {
    version: p.version,
    timestampMs: p.timestampMs,
    oneTimeId: hex(p.oneTimeId),
    serverId: hex(p.serverId),
    durationSeconds: p.durationSeconds,
    target: p.target.kind === 'source' ? { kind: 'source' } : { kind: 'address', address: spa.formatIp(p.target.address) },
    access: p.access,
  };
}
function sealChecked(payload, nonce) {
  const packet = spa.sealKnock({ keys: ck, mask, stepSeconds: 30, payload, nonce });
  // Knock tag: plain HMAC-SHA256 over the first 304 bytes.
  check('knock tag', hex(packet.subarray(304)), createHmac('sha256', ck.mac).update(packet.subarray(0, 304)).digest('hex'));
  // XChaCha20-Poly1305 = ChaCha20-Poly1305 under the HChaCha20 subkey (draft-irtf-cfrg-xchacha §2.3).
  const sigma = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
  const k32 = new Uint32Array(8);
  const n32 = new Uint32Array(4);
  const out = new Uint32Array(8);
  for (let i = 0; i < 8; i++) k32[i] = Buffer.from(ck.enc).readUInt32LE(i * 4);
  for (let i = 0; i < 4; i++) n32[i] = Buffer.from(nonce).readUInt32LE(i * 4);
  hchacha(sigma, k32, n32, out);
  const subkey = Buffer.alloc(32);
  for (let i = 0; i < 8; i++) subkey.writeUInt32LE(out[i], i * 4);
  const iv = Buffer.concat([Buffer.alloc(4), Buffer.from(nonce.subarray(16))]);
  const c = createCipheriv('chacha20-poly1305', subkey, iv, { authTagLength: 16 });
  c.setAAD(Buffer.from(packet.subarray(0, 32)));
  const ct = Buffer.concat([c.update(spa.encodePayload(payload)), c.final(), c.getAuthTag()]);
  check('aead', hex(packet.subarray(32, 304)), ct.toString('hex'));
  return packet;
}

const context = { now: NOW, stepSeconds: 30, window: { maxPastMs: 30_000, maxFutureMs: 30_000 } };
const packets = [];
function positive(name, payload, nonce) {
  const packet = sealChecked(payload, nonce);
  packets.push({ name, expect: 'ok', nonce: hex(nonce), payload: describePayload(payload), packet: hex(packet) });
  return packet;
}
const p1 = positive('source address, one service', basePayload, seq(24, 9));
positive(
  'literal IPv6 address, ports and a service, 120 s',
  {
    ...basePayload,
    oneTimeId: seq(16, 51),
    durationSeconds: 120,
    target: { kind: 'address', address: spa.parseIp('2001:db8::2') },
    access: [
      { kind: 'port', protocol: 'tcp', port: 22 },
      { kind: 'port', protocol: 'udp', port: 53 },
      { kind: 'service', name: 'web' },
    ],
  },
  seq(24, 10),
);
positive(
  'literal IPv4 address, 29 s in the past',
  { ...basePayload, oneTimeId: seq(16, 52), timestampMs: NOW - 29_000, target: { kind: 'address', address: spa.parseIp('192.0.2.2') } },
  seq(24, 11),
);

function negative(name, reason, packet, extra = {}) {
  packets.push({ name, expect: reason, packet: hex(packet), ...extra });
}
const flipped = p1.slice();
flipped[320] ^= 0x01;
negative('knock tag bit flipped', 'mac', flipped);
const ctFlip = p1.slice();
ctFlip[100] ^= 0x80;
negative('ciphertext bit flipped', 'mac', ctFlip);
const nonceFlip = p1.slice();
nonceFlip[3] ^= 0x01;
negative('nonce bit flipped (lookup no longer matches)', 'client', nonceFlip);
negative('truncated by one byte', 'length', p1.subarray(0, 335));
negative('extended by one byte', 'length', Uint8Array.from([...p1, 0]));
negative('empty', 'length', new Uint8Array(0));
negative('stale: 31 s old', 'stale', sealChecked({ ...basePayload, timestampMs: NOW - 31_000 }, seq(24, 12)));
negative('future: 31 s ahead', 'future', sealChecked({ ...basePayload, timestampMs: NOW + 31_000 }, seq(24, 13)));
negative('made for another server id', 'server', sealChecked({ ...basePayload, serverId: seq(16, 201) }, seq(24, 14)));
negative('protocol version 2', 'version', sealChecked({ ...basePayload, version: 2 }, seq(24, 15)));
negative('replay of the first vector', 'replay', p1, { after: 'source address, one service' });
const other = spa.deriveClientKeys(seq(32, 77));
negative(
  'sealed with an unknown client key',
  'client',
  spa.sealKnock({ keys: other, mask, stepSeconds: 30, payload: basePayload, nonce: seq(24, 16) }),
);
write(
  'packets.json',
  'spa-generated; knock tags cross-checked with OpenSSL HMAC-SHA256, ciphertexts with OpenSSL ChaCha20-Poly1305 under the HChaCha20 subkey',
  packets.map((p) => ({
    ...p,
    keys: { clientSecret: hex(clientSecret), serverSecret: hex(serverSecret), serverId: hex(serverId) },
    context,
  })),
);

// --- profile ----------------------------------------------------------------------------
const profile = {
  server: 'web1',
  client: 'alice',
  host: '192.0.2.1',
  serverId,
  serverSecret,
  clientSecret,
  knock: { mode: 'rotating', range: [40000, 49999] },
  stepSeconds: 30,
  services: { ssh: { protocol: 'tcp', port: 22 } },
  sequence: { length: 4, protocol: 'tcp', range: [50000, 59999], gapMs: 5000 },
};
write('profile.json', 'spa-generated', [
  {
    fields: { ...profile, serverId: hex(serverId), serverSecret: hex(serverSecret), clientSecret: hex(clientSecret) },
    uri: spa.encodeProfile(profile),
  },
]);

