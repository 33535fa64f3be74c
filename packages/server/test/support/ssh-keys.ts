/**
 * SSH keys for two-factor tests and the benchmark (test support): real OpenSSL Ed25519 / P-256 keys
 * (node:crypto), their SSH public key blobs, and synchronous signers that produce what
 * ssh-agent would (sk: PROTOCOL.u2f). Nothing here runs in a real daemon.
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import {
  concat,
  parsePublicKeyBlob,
  type SshKeyType,
  type SshPublicKey,
  type SshSignature,
  sshString,
} from '@spa/shared';

export interface TestSshKey {
  readonly key: SshPublicKey;
  readonly sign: (message: Uint8Array) => SshSignature;
}

const sha = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

export function testSshKey(type: SshKeyType, sk: { flags?: number; counter?: number } = {}): TestSshKey {
  const ed = type === 'ssh-ed25519' || type === 'sk-ssh-ed25519@openssh.com';
  const pair = ed ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const der = new Uint8Array(pair.publicKey.export({ format: 'der', type: 'spki' }));
  const point = der.subarray(ed ? -32 : -65);
  const isSk = type.startsWith('sk-');
  const blob = concat(
    sshString(type),
    ...(ed ? [] : [sshString('nistp256')]),
    sshString(point),
    ...(isSk ? [sshString('ssh:')] : []),
  );
  const key = parsePublicKeyBlob(blob);
  if (!key) throw new Error('test key blob');
  const flags = sk.flags ?? 1;
  let counter = sk.counter ?? 1;
  return {
    key,
    sign: (message) => {
      const c = counter++;
      const counterBytes = new Uint8Array(4);
      new DataView(counterBytes.buffer).setUint32(0, c);
      const data = isSk
        ? concat(sha(sshString('ssh:').subarray(4)), Uint8Array.of(flags), counterBytes, sha(message))
        : message;
      const signature = new Uint8Array(
        ed
          ? sign(null, data, pair.privateKey)
          : sign('sha256', data, { key: pair.privateKey, dsaEncoding: 'ieee-p1363' }),
      );
      return { type, signature, flags: isSk ? flags : 0, counter: isSk ? c : 0 };
    },
  };
}
