/**
 * Input checks at the door of every backend: addresses become canonical text (so that what
 * we add matches what `list()` reads back), ports and timeouts are range-checked, and
 * nothing that could change the meaning of a command line (spaces, quotes, `;`) gets through.
 */
import { isIPv4, isIPv6 } from 'node:net';
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

const IPV4 = /^(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}$/;

export function canonicalAddress(text: unknown): Address {
  if (typeof text !== 'string') throw bad(`address: expected a string, got ${typeof text}`);
  if (IPV4.test(text) && isIPv4(text)) return { family: 4, text };
  // isIPv6 accepts zone ids ("fe80::1%eth0"); a firewall set cannot hold them.
  if (text.length <= 45 && !text.includes('%') && isIPv6(text)) {
    // WHATWG URL serialises IPv6 hosts as RFC 5952 text (hex groups, no dotted tail).
    const canonical = new URL(`http://[${text}]/`).hostname.slice(1, -1);
    if (/^::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/.test(canonical)) {
      throw bad(`address: ${JSON.stringify(text)} is IPv4-mapped`, 'grant the IPv4 address itself');
    }
    return { family: 6, text: canonical };
  }
  throw bad(`address: ${JSON.stringify(text).slice(0, 80)} is not an IPv4 or IPv6 address`);
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
  };
}

/** Checks and de-duplicates, keeping the first-seen order. */
export function checkGuarded(guarded: GuardedPort[]): GuardedPort[] {
  if (!Array.isArray(guarded)) throw bad('guarded: expected an array of { protocol, port }');
  const seen = new Set<string>();
  const out: GuardedPort[] = [];
  for (const p of guarded) {
    const protocol = checkProtocol(p?.protocol);
    const port = checkInteger(p?.port, 1, 65535, 'guarded port');
    const key = `${protocol}/${port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ protocol, port });
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
