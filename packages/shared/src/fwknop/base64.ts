/**
 * Standard-alphabet base64 (RFC 4648 §4) without '=' padding, as fwknop writes it.
 * Decoding is strict: only the alphabet, no padding, canonical trailing bits.
 */
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

const VALUES = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[B64.charCodeAt(i)] = i;
  return t;
})();

/** True when every byte is a base64 alphabet character (no '='). */
export function isBase64Chars(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b >= 128 || VALUES[b]! < 0) return false;
  }
  return true;
}

export function toBase64NoPad(bytes: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    s += B64[n >> 18]! + B64[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]!;
  }
  return s;
}

/**
 * Standard base64 as key files and access.conf write it (KEY_BASE64): `=` padding optional
 * (at most two), otherwise as strict as fromBase64NoPad; undefined when empty.
 */
export function fromBase64(text: string): Uint8Array | undefined {
  const m = /^([A-Za-z0-9+/]+)={0,2}$/.exec(text);
  return m ? fromBase64NoPad(m[1]!) : undefined;
}

/** Strict decode; undefined on a foreign character, an impossible length or non-canonical bits. */
export function fromBase64NoPad(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? VALUES[c]! : -1;
    if (v < 0) return undefined;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 255;
    }
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0) return undefined; // unused trailing bits set
  return out;
}

/** Unpadded base64 length of n bytes. */
export function base64Length(n: number): number {
  return Math.ceil((n * 4) / 3);
}
