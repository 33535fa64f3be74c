/** Checks for command-line values that are not durations (those are in duration.ts). */
import { type IpAddress, parseIp } from '@spa/shared';
import { usage } from './errors.js';

/** `--allow IP`: a literal IPv4 or IPv6 address, no names, no prefixes. */
export function parseAllow(text: string): IpAddress {
  const ip = parseIp(text.trim());
  if (!ip) {
    throw usage(
      `--allow "${text}": not an IP address`,
      'give a literal address like 198.51.100.7 or 2001:db8::7',
    );
  }
  return ip;
}

/** A whole number in [min, max] for flags like --retries and --decoys. */
export function parseCount(text: string, flag: string, min: number, max: number): number {
  if (!/^[0-9]{1,6}$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
    throw usage(`${flag} "${text}": expected a whole number from ${min} to ${max}`);
  }
  return Number(text);
}

export function parsePort(text: string, label = 'port'): number {
  if (!/^[1-9][0-9]{0,4}$/.test(text.trim()) || Number(text) > 65535) {
    throw usage(`${label} "${text}": expected a port number 1-65535`);
  }
  return Number(text);
}

/** `-4` / `-6`. */
export function parseFamily(opts: { ipv4?: boolean; ipv6?: boolean }): 4 | 6 | undefined {
  if (opts.ipv4 && opts.ipv6) throw usage('-4 and -6 exclude each other');
  return opts.ipv4 ? 4 : opts.ipv6 ? 6 : undefined;
}
