/**
 * SSH public keys and signatures in their wire form (RFC 4251 §5 types, RFC 4253 §6.6,
 * RFC 5656 §3.1, RFC 8709, OpenSSH PROTOCOL.u2f): the four key types a knock may be signed
 * with. Parsing never throws on bytes or text from outside: it returns undefined or a
 * typed result.
 *
 *   ssh-ed25519                           string type, string pk[32]
 *   sk-ssh-ed25519@openssh.com            string type, string pk[32], string application
 *   ecdsa-sha2-nistp256                   string type, string "nistp256", string Q[65]
 *   sk-ecdsa-sha2-nistp256@openssh.com    string type, string "nistp256", string Q[65], string application
 *
 * Signature blobs (what ssh-agent returns):
 *
 *   ssh-ed25519 / sk-ssh-ed25519@openssh.com     string type, string sig[64] (R ‖ S)
 *   ecdsa-sha2-nistp256 / sk-ecdsa-…              string type, string (mpint r, mpint s)
 *   sk-* adds                                     byte flags, uint32 counter
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { fromBase64, toBase64NoPad } from './fwknop/base64.js';

export const SSH_KEY_TYPES = [
  'ssh-ed25519',
  'sk-ssh-ed25519@openssh.com',
  'ecdsa-sha2-nistp256',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;

export type SshKeyType = (typeof SSH_KEY_TYPES)[number];

export interface SshPublicKey {
  readonly type: SshKeyType;
  /** ed25519: 32 bytes; nistp256: the 65-byte uncompressed point. */
  readonly point: Uint8Array;
  /** FIDO application string of an sk key ("ssh:" by default); '' for the others. */
  readonly application: string;
  /** The whole public key blob, as in authorized_keys (base64) and the agent protocol. */
  readonly blob: Uint8Array;
}

/** A signature as it travels in a knock: the raw 64 bytes plus the sk fields. */
export interface SshSignature {
  readonly type: SshKeyType;
  /** ed25519: R ‖ S; ecdsa: r ‖ s, 32 bytes each, big-endian. */
  readonly signature: Uint8Array;
  /** sk only (PROTOCOL.u2f): bit 0 = user present (touched), bit 2 = user verified. */
  readonly flags: number;
  /** sk only: the authenticator's signature counter. */
  readonly counter: number;
}

export const SK_FLAG_USER_PRESENT = 0x01;
export const SK_FLAG_USER_VERIFIED = 0x04;

export function isSkType(t: SshKeyType): boolean {
  return t.startsWith('sk-');
}

export function isEd25519Type(t: SshKeyType): boolean {
  return t === 'ssh-ed25519' || t === 'sk-ssh-ed25519@openssh.com';
}

/** A bounds-checked reader of SSH wire types. Every read returns undefined past the end. */
export class SshReader {
  readonly #b: Uint8Array;
  #o = 0;

  constructor(bytes: Uint8Array) {
    this.#b = bytes;
  }

  get done(): boolean {
    return this.#o === this.#b.length;
  }

  u8(): number | undefined {
    if (this.#o + 1 > this.#b.length) return undefined;
    return this.#b[this.#o++];
  }

  u32(): number | undefined {
    if (this.#o + 4 > this.#b.length) return undefined;
    const b = this.#b;
    const o = this.#o;
    this.#o += 4;
    return ((b[o]! << 24) >>> 0) + (b[o + 1]! << 16) + (b[o + 2]! << 8) + b[o + 3]!;
  }

  string(): Uint8Array | undefined {
    const n = this.u32();
    if (n === undefined || this.#o + n > this.#b.length) return undefined;
    const out = this.#b.subarray(this.#o, this.#o + n);
    this.#o += n;
    return out;
  }

  text(): string | undefined {
    const s = this.string();
    if (!s) return undefined;
    let t = '';
    for (const c of s) {
      if (c < 0x20 || c > 0x7e) return undefined;
      t += String.fromCharCode(c);
    }
    return t;
  }

  /** A positive mpint (RFC 4251 §5) of at most `size` bytes, left-padded to `size`. */
  mpintFixed(size: number): Uint8Array | undefined {
    const s = this.string();
    if (!s || s.length === 0 || s.length > size + 1) return undefined;
    if (s[0]! & 0x80) return undefined; // negative
    if (s.length > 1 && s[0] === 0 && !(s[1]! & 0x80)) return undefined; // not minimal
    const v = s[0] === 0 ? s.subarray(1) : s;
    if (v.length > size) return undefined;
    const out = new Uint8Array(size);
    out.set(v, size - v.length);
    return out;
  }
}

/** Writers for the same types (the client builds agent requests with them). */
export function sshString(data: Uint8Array | string): Uint8Array {
  const d = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const out = new Uint8Array(4 + d.length);
  new DataView(out.buffer).setUint32(0, d.length);
  out.set(d, 4);
  return out;
}

function isKeyType(t: string | undefined): t is SshKeyType {
  return t !== undefined && (SSH_KEY_TYPES as readonly string[]).includes(t);
}

/** Parse a public key blob. Undefined for anything malformed or of another type. */
export function parsePublicKeyBlob(blob: Uint8Array): SshPublicKey | undefined {
  const r = new SshReader(blob);
  const type = r.text();
  if (!isKeyType(type)) return undefined;
  let point: Uint8Array | undefined;
  if (isEd25519Type(type)) {
    point = r.string();
    if (point?.length !== 32) return undefined;
  } else {
    if (r.text() !== 'nistp256') return undefined;
    point = r.string();
    if (point?.length !== 65 || point[0] !== 0x04) return undefined;
  }
  let application = '';
  if (isSkType(type)) {
    const app = r.text();
    if (app === undefined) return undefined;
    application = app;
  }
  if (!r.done) return undefined;
  return { type, point: point.slice(), application, blob: blob.slice() };
}

/** Parse a signature blob as ssh-agent returns it. Undefined if malformed. */
export function parseSignatureBlob(blob: Uint8Array): SshSignature | undefined {
  const r = new SshReader(blob);
  const type = r.text();
  if (!isKeyType(type)) return undefined;
  const body = r.string();
  if (!body) return undefined;
  let signature: Uint8Array;
  if (isEd25519Type(type)) {
    if (body.length !== 64) return undefined;
    signature = body.slice();
  } else {
    const inner = new SshReader(body);
    const rr = inner.mpintFixed(32);
    const ss = inner.mpintFixed(32);
    if (!rr || !ss || !inner.done) return undefined;
    signature = new Uint8Array(64);
    signature.set(rr, 0);
    signature.set(ss, 32);
  }
  let flags = 0;
  let counter = 0;
  if (isSkType(type)) {
    const f = r.u8();
    const c = r.u32();
    if (f === undefined || c === undefined) return undefined;
    flags = f;
    counter = c;
  }
  if (!r.done) return undefined;
  return { type, signature, flags, counter };
}

export type AuthorizedKeyResult =
  | { ok: true; key: SshPublicKey; comment: string }
  | { ok: false; problem: 'format' | 'type' | 'mismatch' | 'rsa'; detail: string };

/**
 * Parse one authorized_keys / `.pub` line: `TYPE BASE64 [comment]`. Options before the type
 * are not accepted (this is a key, not an authorized_keys policy line).
 */
export function parseAuthorizedKey(line: string): AuthorizedKeyResult {
  const parts = line.trim().split(/\s+/);
  const [type, b64] = parts;
  if (!type || !b64) return { ok: false, problem: 'format', detail: 'expected "TYPE BASE64 [comment]"' };
  if (type === 'ssh-rsa' || type.startsWith('rsa-sha2') || type.startsWith('ssh-dss'))
    return {
      ok: false,
      problem: 'rsa',
      detail: `${type}: an RSA or DSA signature does not fit the 336-byte packet`,
    };
  if (!isKeyType(type))
    return { ok: false, problem: 'type', detail: `${type}: not one of ${SSH_KEY_TYPES.join(', ')}` };
  const blob = b64.length % 4 === 0 ? fromBase64(b64) : undefined;
  if (!blob) return { ok: false, problem: 'format', detail: 'the key is not valid base64' };
  const key = parsePublicKeyBlob(blob);
  if (!key) return { ok: false, problem: 'format', detail: `not a valid ${type} public key` };
  if (key.type !== type)
    return { ok: false, problem: 'mismatch', detail: `the line says ${type}, the key is ${key.type}` };
  return { ok: true, key, comment: parts.slice(2).join(' ') };
}

/** `TYPE BASE64` (the authorized_keys form without a comment). */
export function formatAuthorizedKey(key: SshPublicKey): string {
  return `${key.type} ${padded(toBase64NoPad(key.blob))}`;
}

/** The fingerprint as `ssh-keygen -l` prints it: `SHA256:` + unpadded base64 of SHA-256(blob). */
export function sshFingerprint(blob: Uint8Array): string {
  return `SHA256:${toBase64NoPad(sha256(blob))}`;
}

function padded(b64: string): string {
  return b64 + '='.repeat((4 - (b64.length % 4)) % 4);
}
