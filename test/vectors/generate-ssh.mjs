#!/usr/bin/env node
// Regenerates test/vectors/ssh-signatures.json: knock signatures made by real OpenSSH.
//
//   pnpm exec tsc -b packages/shared && node test/vectors/generate-ssh.mjs
//
// ssh-ed25519 and ecdsa-sha2-nistp256: keys made by `ssh-keygen`, loaded into a real
// `ssh-agent -D` with `ssh-add`, and the knock message signed by that agent through its
// socket (SSH2_AGENTC_SIGN_REQUEST, written here independently of packages/client).
// Fingerprints are what `ssh-keygen -l` prints.
//
// sk-ssh-ed25519@openssh.com and sk-ecdsa-sha2-nistp256@openssh.com need a FIDO2 security
// key, which this machine does not have. Those vectors are CONSTRUCTED, following OpenSSH's
// PROTOCOL.u2f "Signature format": the authenticator signs
//   SHA256(application) ‖ flags ‖ u32 counter ‖ SHA256(message)
// with an ordinary Ed25519 / P-256 key made by OpenSSL (node:crypto), and the blobs are laid
// out as PROTOCOL.u2f says. Their fingerprints are still `ssh-keygen -l`'s, from a .pub file.
//
// Keys and signatures are fresh on every run (ECDSA is randomised): regenerate on purpose only.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as spa from '../../packages/shared/dist/src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const hex = (b) => Buffer.from(b).toString('hex');
const seq = (n, f) => Uint8Array.from({ length: n }, (_, i) => (f + i * 7) & 255);
const u32 = (n) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const str = (b) => Buffer.concat([u32(Buffer.byteLength(b)), Buffer.from(b)]);
const sha = (b) => createHash('sha256').update(b).digest();

const dir = mkdtempSync(join(tmpdir(), 'spa-ssh-vectors-'));
const sock = join(dir, 'agent.sock');
const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
try {
  await waitFor(sock);
  const keys = [];
  for (const [name, args] of [
    ['ed25519', ['-t', 'ed25519']],
    ['ecdsa', ['-t', 'ecdsa', '-b', '256']],
    ['ed25519-other', ['-t', 'ed25519']],
  ]) {
    const file = join(dir, name);
    execFileSync('ssh-keygen', [...args, '-N', '', '-C', `${name}@vectors`, '-f', file, '-q']);
    execFileSync('ssh-add', ['-q', file], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
    keys.push({ name, line: readFileSync(`${file}.pub`, 'utf8').trim(), fingerprint: fingerprintOf(`${file}.pub`) });
  }
  for (const sk of makeSkKeys()) {
    writeFileSync(join(dir, `${sk.name}.pub`), `${sk.line}\n`);
    keys.push({ ...sk, fingerprint: fingerprintOf(join(dir, `${sk.name}.pub`)) });
  }

  const request = {
    version: 1,
    timestampMs: 1_800_000_000_000,
    oneTimeId: seq(16, 3),
    serverId: seq(16, 200),
    durationSeconds: 60,
    target: { kind: 'address', address: { family: 4, bytes: Uint8Array.of(192, 0, 2, 10) } },
    access: [{ kind: 'service', name: 'ssh' }],
  };
  const nonce = seq(24, 9);
  const message = spa.knockSignedMessage(nonce, request);
  const vectors = [];
  for (const k of keys) {
    const key = spa.parseAuthorizedKey(k.line);
    if (!key.ok) throw new Error(`${k.name}: ${key.detail}`);
    if (spa.sshFingerprint(key.key.blob) !== k.fingerprint)
      throw new Error(`${k.name}: fingerprint ${spa.sshFingerprint(key.key.blob)} ≠ ssh-keygen ${k.fingerprint}`);
    let blob;
    if (k.sign) blob = k.sign(message, 0x01, 7);
    else blob = await agentSign(sock, key.key.blob, message);
    vectors.push({ name: `${k.name}`, key: k.name, signer: k.sign ? 'constructed (PROTOCOL.u2f)' : 'ssh-agent', signature: hex(blob) });
    if (k.name === 'ecdsa') {
      // libcrypto leaves S as drawn: keep one high-S and one low-S signature (noble's default
      // would refuse the high one).
      const seen = new Map([[highS(blob), blob]]);
      for (let i = 0; i < 64 && seen.size < 2; i++) {
        const b = await agentSign(sock, key.key.blob, message);
        if (!seen.has(highS(b))) seen.set(highS(b), b);
      }
      if (seen.size < 2) throw new Error('no high-S and low-S pair in 64 signatures');
      vectors.pop();
      for (const [high, b] of seen)
        vectors.push({ name: `ecdsa ${high ? 'high-S' : 'low-S'}`, key: k.name, signer: 'ssh-agent', signature: hex(b) });
    }
    if (k.sign) vectors.push({ name: `${k.name} no touch`, key: k.name, signer: 'constructed (PROTOCOL.u2f)', signature: hex(k.sign(message, 0x00, 8)) });
  }
  const file = join(here, 'ssh-signatures.json');
  const out = {
    source: `${spawnSync('ssh', ['-V']).stderr.toString().trim()} (ssh-keygen, ssh-agent, ssh-add); sk-* constructed per PROTOCOL.u2f, see README`,
    request: {
      nonce: hex(nonce),
      timestampMs: request.timestampMs,
      oneTimeId: hex(request.oneTimeId),
      serverId: hex(request.serverId),
      durationSeconds: request.durationSeconds,
      address: '192.0.2.10',
      access: ['ssh'],
    },
    message: hex(message),
    keys: keys.map(({ name, line, fingerprint }) => ({ name, line, fingerprint })),
    vectors,
  };
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`wrote ${file} (${vectors.length} signatures)\n`);
} finally {
  agent.kill();
  rmSync(dir, { recursive: true, force: true });
}

/** Whether an ecdsa signature blob's S is above n/2. */
function highS(blob) {
  const sig = spa.parseSignatureBlob(blob);
  const s = BigInt(`0x${hex(sig.signature.subarray(32))}`);
  const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
  return s > n / 2n;
}

function fingerprintOf(pub) {
  // "256 SHA256:… comment (ED25519)"
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pub]).toString().split(' ')[1];
}

async function waitFor(path) {
  for (let i = 0; i < 100; i++) {
    try {
      readFileSync(path);
    } catch (e) {
      if (e.code === 'ENXIO' || e.code === 'EOPNOTSUPP') return; // a socket exists
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('ssh-agent did not start');
}

/** SSH2_AGENTC_SIGN_REQUEST (13) → SSH2_AGENT_SIGN_RESPONSE (14). */
function agentSign(path, keyBlob, data) {
  return new Promise((resolve, reject) => {
    const body = Buffer.concat([Buffer.of(13), str(keyBlob), str(data), u32(0)]);
    const s = connect(path);
    let got = Buffer.alloc(0);
    s.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 4 && got.length >= 4 + got.readUInt32BE(0)) {
        s.end();
        if (got[4] !== 14) return reject(new Error(`agent answered ${got[4]}`));
        const n = got.readUInt32BE(5);
        resolve(got.subarray(9, 9 + n));
      }
    });
    s.on('error', reject);
    s.write(Buffer.concat([u32(body.length), body]));
  });
}

function makeSkKeys() {
  const application = 'ssh:';
  const signed = (message, flags, counter) =>
    Buffer.concat([sha(application), Buffer.of(flags), u32(counter), sha(message)]);
  const ed = generateKeyPairSync('ed25519');
  const edPub = ed.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const edType = 'sk-ssh-ed25519@openssh.com';
  const edBlob = Buffer.concat([str(edType), str(edPub), str(application)]);
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ecPub = ec.publicKey.export({ format: 'der', type: 'spki' }).subarray(-65);
  const ecType = 'sk-ecdsa-sha2-nistp256@openssh.com';
  const ecBlob = Buffer.concat([str(ecType), str('nistp256'), str(ecPub), str(application)]);
  const mpint = (b) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b.subarray(i);
    return str(v[0] & 0x80 ? Buffer.concat([Buffer.of(0), v]) : v);
  };
  return [
    {
      name: 'sk-ed25519',
      line: `${edType} ${edBlob.toString('base64')} sk-ed25519@vectors`,
      sign: (m, flags, counter) =>
        Buffer.concat([str(edType), str(sign(null, signed(m, flags, counter), ed.privateKey)), Buffer.of(flags), u32(counter)]),
    },
    {
      name: 'sk-ecdsa',
      line: `${ecType} ${ecBlob.toString('base64')} sk-ecdsa@vectors`,
      sign: (m, flags, counter) => {
        const rs = sign('sha256', signed(m, flags, counter), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' });
        const inner = Buffer.concat([mpint(rs.subarray(0, 32)), mpint(rs.subarray(32))]);
        return Buffer.concat([str(ecType), str(inner), Buffer.of(flags), u32(counter)]);
      },
    },
  ];
}
