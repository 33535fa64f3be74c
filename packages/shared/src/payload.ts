/**
 * Encode and decode the 256-byte knock payload (layout in wire.ts). Decoding runs on
 * authenticated bytes only, yet still never throws: a bad field is `malformed`.
 */
import type { IpAddress } from './address.js';
import { assertBytes, assertInteger, SpaError } from './errors.js';
import { SERVER_ID_LENGTH } from './keys.js';
import type { Verdict } from './reasons.js';
import { decodeSignatureBlock, encodeSignatureBlock } from './signature-block.js';
import type { SshSignature } from './ssh-key.js';
import {
  ACCESS_MAX,
  ACCESS_PORT,
  ACCESS_SERVICE,
  DURATION_MAX_SECONDS,
  FLAG_FROM_SOURCE,
  FLAG_SIGNED,
  IPPROTO_TCP,
  IPPROTO_UDP,
  ONE_TIME_ID_LENGTH,
  P_ACCESS,
  P_ACCESS_COUNT,
  P_ADDRESS,
  P_DURATION,
  P_FAMILY,
  P_FLAGS,
  P_ONE_TIME_ID,
  P_SERVER_ID,
  P_SIG_BLOCK,
  P_TIMESTAMP,
  P_VERSION,
  PAYLOAD_LENGTH,
  PROTOCOL_VERSION,
  SERVICE_NAME_MAX,
  SERVICE_NAME_PATTERN,
} from './wire.js';

export type L4Protocol = 'tcp' | 'udp';

/** What a knock asks for: a named service (resolved by the server's policy) or a raw port. */
export type Access =
  | { readonly kind: 'service'; readonly name: string }
  | { readonly kind: 'port'; readonly protocol: L4Protocol; readonly port: number };

/** Whom to let in: the packet's source address, or a literal address. */
export type Target = { readonly kind: 'source' } | { readonly kind: 'address'; readonly address: IpAddress };

export interface KnockPayload {
  readonly version: number;
  readonly timestampMs: number;
  readonly oneTimeId: Uint8Array;
  readonly serverId: Uint8Array;
  /** 0 = the server's default. */
  readonly durationSeconds: number;
  readonly target: Target;
  readonly access: readonly Access[];
  /** The SSH signature over knockSignedMessage (knock-signature.ts); absent = unsigned. */
  readonly signature?: SshSignature | undefined;
}

export function encodePayload(p: KnockPayload): Uint8Array {
  const out = encodeRequest(p, p.signature !== undefined);
  if (p.signature) out.set(encodeSignatureBlock(p.signature), P_SIG_BLOCK);
  return out;
}

/**
 * The payload without its signature block: with `signed`, the flag is set and the access
 * list must end before the block (bytes P_SIG_BLOCK..256 stay zero).
 */
export function encodeRequest(p: KnockPayload, signed: boolean): Uint8Array {
  assertInteger(p.version, 0, 255, 'version');
  assertInteger(p.timestampMs, 0, Number.MAX_SAFE_INTEGER, 'timestamp');
  assertBytes(p.oneTimeId, ONE_TIME_ID_LENGTH, 'one-time id');
  assertBytes(p.serverId, SERVER_ID_LENGTH, 'server id');
  assertInteger(p.durationSeconds, 0, DURATION_MAX_SECONDS, 'duration');
  if (p.access.length < 1 || p.access.length > ACCESS_MAX) {
    throw new SpaError('bad-argument', `access: expected 1..${ACCESS_MAX} entries, got ${p.access.length}`);
  }
  const out = new Uint8Array(PAYLOAD_LENGTH);
  const end = signed ? P_SIG_BLOCK : PAYLOAD_LENGTH;
  const view = new DataView(out.buffer);
  out[P_VERSION] = p.version;
  view.setUint32(P_TIMESTAMP, Math.floor(p.timestampMs / 0x100000000));
  view.setUint32(P_TIMESTAMP + 4, p.timestampMs >>> 0);
  out.set(p.oneTimeId, P_ONE_TIME_ID);
  out.set(p.serverId, P_SERVER_ID);
  view.setUint32(P_DURATION, p.durationSeconds);
  out[P_FLAGS] = signed ? FLAG_SIGNED : 0;
  if (p.target.kind === 'source') {
    out[P_FLAGS] |= FLAG_FROM_SOURCE;
  } else {
    const a = p.target.address;
    assertBytes(a.bytes, a.family === 4 ? 4 : 16, 'target address');
    out[P_FAMILY] = a.family;
    out.set(a.bytes, P_ADDRESS);
  }
  out[P_ACCESS_COUNT] = p.access.length;
  let o = P_ACCESS;
  for (const a of p.access) {
    if (a.kind === 'service') {
      if (!SERVICE_NAME_PATTERN.test(a.name)) {
        throw new SpaError('bad-argument', `service name "${a.name}": use 1-32 of a-z 0-9 . _ -`);
      }
      if (o + 2 + a.name.length > end) throw new SpaError('bad-argument', tooLong(signed));
      out[o++] = ACCESS_SERVICE;
      out[o++] = a.name.length;
      for (let i = 0; i < a.name.length; i++) out[o++] = a.name.charCodeAt(i);
    } else {
      assertInteger(a.port, 1, 65535, 'port');
      if (o + 4 > end) throw new SpaError('bad-argument', tooLong(signed));
      out[o++] = ACCESS_PORT;
      out[o++] = a.protocol === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP;
      out[o++] = a.port >> 8;
      out[o++] = a.port & 255;
    }
  }
  return out;
}

function tooLong(signed: boolean): string {
  return signed
    ? `access list too long for a signed knock (at most ${P_SIG_BLOCK - P_ACCESS} bytes of entries)`
    : 'access list too long';
}

/** Version is checked separately (reason `version`) so the caller can order the checks. */
export function decodePayload(b: Uint8Array): Verdict<KnockPayload> {
  const bad = { ok: false, reason: 'malformed' } as const;
  if (b.length !== PAYLOAD_LENGTH) return bad;
  const version = b[P_VERSION]!;
  if (version !== PROTOCOL_VERSION) return { ok: false, reason: 'version' };
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const hi = view.getUint32(P_TIMESTAMP);
  if (hi > 0x1fffff) return bad; // beyond Number.MAX_SAFE_INTEGER
  const timestampMs = hi * 0x100000000 + view.getUint32(P_TIMESTAMP + 4);
  const durationSeconds = view.getUint32(P_DURATION);
  if (durationSeconds > DURATION_MAX_SECONDS) return bad;
  const flags = b[P_FLAGS]!;
  if ((flags & ~(FLAG_FROM_SOURCE | FLAG_SIGNED)) !== 0) return bad;
  const end = flags & FLAG_SIGNED ? P_SIG_BLOCK : PAYLOAD_LENGTH;
  const family = b[P_FAMILY]!;
  let target: Target;
  if (flags & FLAG_FROM_SOURCE) {
    if (family !== 0 || !isZero(b, P_ADDRESS, 16)) return bad;
    target = { kind: 'source' };
  } else if (family === 4) {
    if (!isZero(b, P_ADDRESS + 4, 12)) return bad;
    target = { kind: 'address', address: { family: 4, bytes: b.slice(P_ADDRESS, P_ADDRESS + 4) } };
  } else if (family === 6) {
    target = { kind: 'address', address: { family: 6, bytes: b.slice(P_ADDRESS, P_ADDRESS + 16) } };
  } else {
    return bad;
  }
  const count = b[P_ACCESS_COUNT]!;
  if (count < 1 || count > ACCESS_MAX) return bad;
  const access: Access[] = [];
  let o = P_ACCESS;
  for (let i = 0; i < count; i++) {
    const type = b[o];
    if (type === ACCESS_SERVICE) {
      const len = b[o + 1] ?? 0;
      if (len < 1 || len > SERVICE_NAME_MAX || o + 2 + len > end) return bad;
      let name = '';
      for (let j = 0; j < len; j++) name += String.fromCharCode(b[o + 2 + j]!);
      if (!SERVICE_NAME_PATTERN.test(name)) return bad;
      access.push({ kind: 'service', name });
      o += 2 + len;
    } else if (type === ACCESS_PORT) {
      if (o + 4 > end) return bad;
      const proto = b[o + 1];
      const port = (b[o + 2]! << 8) | b[o + 3]!;
      if ((proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) || port === 0) return bad;
      access.push({ kind: 'port', protocol: proto === IPPROTO_TCP ? 'tcp' : 'udp', port });
      o += 4;
    } else {
      return bad;
    }
  }
  if (!isZero(b, o, end - o)) return bad;
  let signature: SshSignature | undefined;
  if (flags & FLAG_SIGNED) {
    signature = decodeSignatureBlock(b.subarray(P_SIG_BLOCK));
    if (!signature) return bad;
  }
  return {
    ok: true,
    value: {
      version,
      timestampMs,
      oneTimeId: b.slice(P_ONE_TIME_ID, P_ONE_TIME_ID + ONE_TIME_ID_LENGTH),
      serverId: b.slice(P_SERVER_ID, P_SERVER_ID + SERVER_ID_LENGTH),
      durationSeconds,
      target,
      access,
      ...(signature ? { signature } : {}),
    },
  };
}

function isZero(b: Uint8Array, offset: number, length: number): boolean {
  let acc = 0;
  for (let i = offset; i < offset + length; i++) acc |= b[i]!;
  return acc === 0;
}

/** Parse `22/tcp`, `53/udp` (a service spec as written in configs and profiles). */
export function parsePortSpec(text: string): { protocol: L4Protocol; port: number } | undefined {
  const m = /^([1-9][0-9]{0,4})\/(tcp|udp)$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[1]);
  if (port > 65535) return undefined;
  return { protocol: m[2] as L4Protocol, port };
}
