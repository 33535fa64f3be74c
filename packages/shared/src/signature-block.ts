/**
 * The 70-byte signature block that ends a signed payload (layout in wire.ts,
 * docs/protocol.md §12). Decoding runs on authenticated bytes and never throws.
 */
import { assertBytes, assertInteger } from './errors.js';
import { isSkType, SSH_KEY_TYPES, type SshSignature } from './ssh-key.js';
import { SIG_BLOCK_LENGTH, SIG_VALUE_LENGTH } from './wire.js';

const TYPE = 0;
const FLAGS = 1;
const COUNTER = 2;
const VALUE = 6;

export function encodeSignatureBlock(sig: SshSignature): Uint8Array {
  const code = SSH_KEY_TYPES.indexOf(sig.type) + 1;
  assertInteger(code, 1, SSH_KEY_TYPES.length, 'signature type');
  assertBytes(sig.signature, SIG_VALUE_LENGTH, 'signature');
  const sk = isSkType(sig.type);
  assertInteger(sig.flags, 0, sk ? 255 : 0, 'sk flags');
  assertInteger(sig.counter, 0, sk ? 0xffffffff : 0, 'sk counter');
  const out = new Uint8Array(SIG_BLOCK_LENGTH);
  out[TYPE] = code;
  out[FLAGS] = sig.flags;
  new DataView(out.buffer).setUint32(COUNTER, sig.counter);
  out.set(sig.signature, VALUE);
  return out;
}

/** Undefined on an unknown type, or sk fields set on a type that has none. */
export function decodeSignatureBlock(b: Uint8Array): SshSignature | undefined {
  if (b.length !== SIG_BLOCK_LENGTH) return undefined;
  const type = SSH_KEY_TYPES[b[TYPE]! - 1];
  if (type === undefined) return undefined;
  const flags = b[FLAGS]!;
  const counter =
    ((b[COUNTER]! << 24) >>> 0) + (b[COUNTER + 1]! << 16) + (b[COUNTER + 2]! << 8) + b[COUNTER + 3]!;
  if (!isSkType(type) && (flags !== 0 || counter !== 0)) return undefined;
  return { type, flags, counter, signature: b.slice(VALUE, VALUE + SIG_VALUE_LENGTH) };
}
