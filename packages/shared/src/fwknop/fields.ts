/**
 * The fwknop plaintext (FKO protocol 3.0.0): colon-separated fields, then ":" and a
 * digest (unpadded base64) of everything before it.
 *
 *   random[16 digits] : b64(username) : timestamp : version : type : b64(message)
 *     [: b64(nat access)    for the NAT types]
 *     [: b64(server auth)   when present]
 *     [: client timeout     for the client-timeout types]
 *     : digest
 *
 * b64 is the standard alphabet without '='. The digest type follows from its length.
 */
import { md5, sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { utf8 } from '../bytes.js';
import { fromBase64NoPad, toBase64NoPad } from './base64.js';
import { type FwknopAccess, parseFwknopAccess, parseFwknopCommand, validNatAccess } from './message.js';
import type { FwknopVerdict } from './reasons.js';
import {
  DIGEST_B64_LENGTH,
  FKO_VERSION,
  FWKNOP_MESSAGE_TYPES,
  type FwknopMessageType,
  type FwknopPlainDigest,
  hasNatField,
  hasTimeoutField,
  MAX_MESSAGE_LENGTH,
  MAX_USERNAME_LENGTH,
  MAX_VERSION_LENGTH,
} from './wire.js';

export interface FwknopMessage {
  randomValue: string;
  username: string;
  timestampSec: number;
  version: string;
  type: FwknopMessageType;
  /** The decoded message field as sent, e.g. "192.0.2.10,tcp/22" or "192.0.2.10,true". */
  message: string;
  /** For access types: the allow address ('source' when the client sent 0.0.0.0) and ports. */
  access?: FwknopAccess;
  /** 0 when absent. */
  clientTimeoutSec: number;
  /** For the command type: the command text (the message after "ip,"). */
  command?: string;
  natAccess?: string;
  serverAuth?: string;
  /** Type of the plaintext's own digest field. */
  digest: FwknopPlainDigest;
}

export interface FwknopMessageInput {
  randomValue: string;
  username: string;
  timestampSec: number;
  /** Default FKO_VERSION. */
  version?: string;
  type: FwknopMessageType;
  /** The message field text, e.g. from fwknopAccessMessage(). */
  message: string;
  natAccess?: string;
  serverAuth?: string;
  clientTimeoutSec?: number;
  /** Default 'sha256' (the client's default; -m picks another). */
  digest?: FwknopPlainDigest;
}

const DIGESTS = { md5, sha1, sha256, sha384, sha512 } as const;

export function fwknopPlainDigest(kind: FwknopPlainDigest, text: string): string {
  return toBase64NoPad(DIGESTS[kind](utf8(text)));
}

const b64Text = (s: string): string => toBase64NoPad(utf8(s));

/** Builds the plaintext exactly as the client lays it out. Encodes what it is given. */
export function encodeFwknopPlaintext(m: FwknopMessageInput): string {
  const fields = [
    m.randomValue,
    b64Text(m.username),
    String(m.timestampSec),
    m.version ?? FKO_VERSION,
    String(FWKNOP_MESSAGE_TYPES.indexOf(m.type)),
    b64Text(m.message),
  ];
  if (m.natAccess !== undefined) fields.push(b64Text(m.natAccess));
  if (m.serverAuth !== undefined) fields.push(b64Text(m.serverAuth));
  if (m.clientTimeoutSec !== undefined) fields.push(String(m.clientTimeoutSec));
  const text = fields.join(':');
  return `${text}:${fwknopPlainDigest(m.digest ?? 'sha256', text)}`;
}

function isPrintable(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

/** Strict unpadded base64 of printable ASCII, 1..max characters once decoded. */
function b64Field(field: string, max: number): string | undefined {
  const bytes = fromBase64NoPad(field);
  if (!bytes || bytes.length < 1 || bytes.length > max) return undefined;
  let s = '';
  for (const b of bytes) {
    if (b < 0x20 || b > 0x7e) return undefined;
    s += String.fromCharCode(b);
  }
  return s;
}

const DIGEST_BY_LENGTH = new Map<number, FwknopPlainDigest>(
  Object.entries(DIGEST_B64_LENGTH).map(([k, n]) => [n, k as FwknopPlainDigest]),
);

/** Decodes and checks a decrypted plaintext: digest first, then each field. Never throws. */
export function parseFwknopPlaintext(plaintext: Uint8Array): FwknopVerdict<FwknopMessage> {
  let text = '';
  for (const b of plaintext) {
    if (b < 0x20 || b > 0x7e) return { ok: false, reason: 'fwknop-digest' };
    text += String.fromCharCode(b);
  }
  const cut = text.lastIndexOf(':');
  const digest = DIGEST_BY_LENGTH.get(text.length - cut - 1);
  if (cut < 0 || !digest) return { ok: false, reason: 'fwknop-digest' };
  const body = text.slice(0, cut);
  if (fwknopPlainDigest(digest, body) !== text.slice(cut + 1)) return { ok: false, reason: 'fwknop-digest' };

  const fail = { ok: false, reason: 'fwknop-fields' } as const;
  const f = body.split(':');
  if (f.length < 6) return fail;
  const [randomValue, userB64, ts, version, typeCode, msgB64] = f as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!/^[0-9]{16}$/.test(randomValue)) return fail;
  const username = b64Field(userB64, MAX_USERNAME_LENGTH);
  if (username === undefined) return fail;
  if (!/^(0|[1-9][0-9]{0,11})$/.test(ts)) return fail;
  if (version.length < 1 || version.length > MAX_VERSION_LENGTH || !isPrintable(version)) return fail;
  if (version !== FKO_VERSION) return { ok: false, reason: 'fwknop-version' };
  if (!/^[0-6]$/.test(typeCode)) return fail;
  const type = FWKNOP_MESSAGE_TYPES[Number(typeCode)]!;
  const message = b64Field(msgB64, MAX_MESSAGE_LENGTH);
  if (message === undefined) return fail;

  const rest = f.slice(6);
  let natAccess: string | undefined;
  let serverAuth: string | undefined;
  let clientTimeoutSec = 0;
  if (hasNatField(type)) {
    natAccess = b64Field(rest.shift() ?? '', MAX_MESSAGE_LENGTH);
    if (natAccess === undefined || !validNatAccess(natAccess)) return fail;
  }
  if (hasTimeoutField(type)) {
    const t = rest.pop() ?? '';
    if (!/^(0|[1-9][0-9]{0,9})$/.test(t) || Number(t) > 0xffffffff) return fail;
    clientTimeoutSec = Number(t);
  }
  if (rest.length > 1) return fail;
  if (rest.length === 1) {
    serverAuth = b64Field(rest[0]!, MAX_MESSAGE_LENGTH);
    if (serverAuth === undefined) return fail;
  }

  const out: FwknopMessage = {
    randomValue,
    username,
    timestampSec: Number(ts),
    version,
    type,
    message,
    clientTimeoutSec,
    digest,
  };
  if (type === 'command') {
    const command = parseFwknopCommand(message);
    if (command === undefined) return { ok: false, reason: 'fwknop-access' };
    out.command = command;
  } else {
    const access = parseFwknopAccess(message);
    if (!access) return { ok: false, reason: 'fwknop-access' };
    out.access = access;
  }
  if (natAccess !== undefined) out.natAccess = natAccess;
  if (serverAuth !== undefined) out.serverAuth = serverAuth;
  return { ok: true, value: out };
}
