/**
 * Input checks at the door of every backend: addresses become canonical text (so that what
 * we add matches what `list()` reads back), ports and timeouts are range-checked, and
 * nothing that could change the meaning of a command line (spaces, quotes, `;`) gets through.
 */
import { formatIp, parseIp } from '@spa/shared';
import { FirewallError, type Grant, type GuardedPort, type L4, MAX_GRANT_SECONDS } from './firewall.js';

export interface Address {
  family: 4 | 6;
  /** Dotted decimal, or RFC 5952 (lowercase, longest zero run compressed). */
  text: string;
}

export interface CheckedGrant extends Grant {
  family: 4 | 6;
}

function bad(message: string, hint = ''): FirewallError {
  return new FirewallError('bad-argument', message, hint);
}

/** ::ffff:a.b.c.d — the kernel sees such a peer as IPv4; a v6 element would never match. */
function isV4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

export function canonicalAddress(text: unknown): Address {
  if (typeof text !== 'string') throw bad(`address: expected a string, got ${typeof text}`);
  // The shared parser refuses zone ids ("fe80::1%eth0", a set cannot hold them) and leading zeros.
  const a = parseIp(text);
  if (!a) throw bad(`address: ${JSON.stringify(text).slice(0, 80)} is not an IPv4 or IPv6 address`);
  if (a.family === 6 && isV4Mapped(a.bytes)) {
    throw bad(`address: ${JSON.stringify(text)} is IPv4-mapped`, 'grant the IPv4 address itself');
  }
  return { family: a.family, text: formatIp(a) };
}

/** For text the kernel gave back: canonical if possible, never throws (a listing must not fail over it). */
export function canonicalOrAsIs(address: string): string {
  try {
    return canonicalAddress(address).text;
  } catch {
    return address;
  }
}

export function checkProtocol(protocol: unknown): L4 {
  if (protocol !== 'tcp' && protocol !== 'udp') {
    throw bad(`protocol: expected "tcp" or "udp", got ${JSON.stringify(protocol)}`);
  }
  return protocol;
}

export function checkInteger(value: unknown, min: number, max: number, label: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw bad(`${label}: expected an integer in ${min}..${max}, got ${String(value)}`);
  }
  return value;
}

export function checkGrant(g: Grant): CheckedGrant {
  if (typeof g !== 'object' || g === null) throw bad('grant: expected an object');
  const address = canonicalAddress(g.address);
  return {
    address: address.text,
    family: address.family,
    protocol: checkProtocol(g.protocol),
    port: checkInteger(g.port, 1, 65535, 'port'),
    seconds: checkInteger(g.seconds, 1, MAX_GRANT_SECONDS, 'seconds'),
    // A label only: a name that could change an nft command line is left out, never fails the grant.
    ...(typeof g.client === 'string' && CLIENT_NAME.test(g.client) ? { client: g.client } : {}),
  };
}

/** A client name goes into an nft comment: only the characters a name may have, never a quote. */
const CLIENT_NAME = /^[A-Za-z0-9._-]{1,63}$/;

/** Checks and de-duplicates, keeping the first-seen order. */
export function checkGuarded(guarded: GuardedPort[]): GuardedPort[] {
  if (!Array.isArray(guarded)) throw bad('guarded: expected an array of { protocol, port }');
  const seen = new Set<string>();
  const out: GuardedPort[] = [];
  for (const p of guarded) {
    const protocol = checkProtocol(p?.protocol);
    const port = checkInteger(p?.port, 1, 65535, 'guarded port');
    const key = `${protocol}/${port}`;
    const trial = p.trialSeconds;
    const trialSeconds =
      trial === undefined
        ? undefined
        : checkInteger(trial, 1, MAX_GRANT_SECONDS, 'guarded port trialSeconds');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(trialSeconds === undefined ? { protocol, port } : { protocol, port, trialSeconds });
  }
  return out;
}

/** A name that is safe as an nft identifier, ipset set name and iptables chain name. */
export function checkName(name: unknown, label: string): string {
  if (typeof name !== 'string' || !/^[a-z][a-z0-9_]{0,19}$/.test(name)) {
    throw bad(
      `${label}: ${JSON.stringify(name)} is not a valid name`,
      'use 1-20 characters: a lowercase letter, then lowercase letters, digits or "_"',
    );
  }
  return name;
}
