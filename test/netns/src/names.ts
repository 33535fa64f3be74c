/**
 * Naming of every namespace tests create. Each is `spal-<runId>-<host>`; the run id is the owner's
 * pid in base 36 followed by two random base-36 characters, so a later run can tell from the name
 * alone whether the owner is still alive. Interface names stay within IFNAMSIZ-1 = 15 bytes.
 *
 *   spal-2hzjkq7-server      namespace of host `server` (run id `2hzjkq7`, owner pid 0x2hzjk base 36)
 *   spal-2hzjkq7             an interface name unique to the run (<= 12 bytes)
 */
import { randomInt } from 'node:crypto';

export const NS_PREFIX = 'spal-';
export const IFNAMSIZ_MAX = 15;

const RANDOM_CHARS = 2;
const NS_RE = /^spal-([0-9a-z]{3,9})-([a-z][a-z0-9]{0,11})$/;
/** Host names: lowercase, short enough for `p-<host>` to fit an interface name. */
export const HOST_NAME_RE = /^[a-z][a-z0-9]{0,11}$/;

export function newRunId(pid: number = process.pid): string {
  let rand = '';
  for (let i = 0; i < RANDOM_CHARS; i++) rand += randomInt(36).toString(36);
  return pid.toString(36) + rand;
}

export function ownerPidOf(runId: string): number {
  return Number.parseInt(runId.slice(0, -RANDOM_CHARS), 36);
}

export function nsName(runId: string, host: string): string {
  return `${NS_PREFIX}${runId}-${host}`;
}

/** An interface name unique to the run, for the host side of a veth pair. */
export function hostIfname(runId: string): string {
  return `${NS_PREFIX}${runId}`;
}

export interface ParsedNsName {
  runId: string;
  host: string;
  ownerPid: number;
}

/** Parses a namespace name created by some run; `undefined` for anything else. */
export function parseNsName(name: string): ParsedNsName | undefined {
  const m = NS_RE.exec(name);
  if (!m?.[1] || !m[2]) return undefined;
  const ownerPid = ownerPidOf(m[1]);
  if (!Number.isSafeInteger(ownerPid) || ownerPid <= 0) return undefined;
  return { runId: m[1], host: m[2], ownerPid };
}

/** Addresses from the documentation prefixes (RFC 5737 TEST-NET-1, RFC 3849). */
export const IPV4_PREFIX = '192.0.2.';
export const IPV4_PREFIX_LEN = 24;
export const IPV6_PREFIX = '2001:db8::';
export const IPV6_PREFIX_LEN = 64;

export function hostAddresses(index: number): { ipv4: string; ipv6: string } {
  if (!Number.isInteger(index) || index < 1 || index > 254) throw new RangeError(`host index ${index}`);
  return { ipv4: IPV4_PREFIX + index, ipv6: IPV6_PREFIX + index.toString(16) };
}
