/**
 * The daemon's I/O, behind interfaces handed to it (real ones by default, fakes in tests):
 * where packets come from, where grants go, what time it is, how the configuration is read
 * and where signals come from.
 */
import { networkInterfaces } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { PacketSource } from '../capture/index.js';
import { PcapSource } from '../capture/index.js';
import { loadConfig } from '../config/index.js';
import type { FirewallConfig, ServerConfig } from '../config/types.js';
import type { Firewall } from '../firewall/index.js';
import { createFirewall } from '../firewall/index.js';

/** What `process` offers for signals; tests pass an EventEmitter. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
}

/**
 * The daemon's two clocks: the wall clock (`now`: knock timestamps, steps, knock ports) and a
 * monotonic one (`monotonic`: how long an id has been remembered; no clock step moves it).
 */
export interface Clock {
  /** Wall clock, ms since the epoch. */
  now(): number;
  /** Monotonic clock, ms from an arbitrary origin. */
  monotonic(): number;
}

export interface DaemonDeps {
  readonly source: PacketSource;
  readonly firewall: Firewall;
  readonly clock: Clock;
  readonly loadConfig: (path: string) => ServerConfig;
  readonly signals: SignalSource;
  /** This host's addresses, re-read when they may have changed (verify/destination.ts). */
  readonly hostAddresses: () => readonly string[];
}

/** Every address of every interface, from the OS (os.networkInterfaces()). */
export function osAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
}

export const systemClock: Clock = { now: () => Date.now(), monotonic: () => performance.now() };

export const defaultLoadConfig = loadConfig;

/** libpcap capture on the configured interfaces, starting with `filter`. */
export function defaultSource(config: ServerConfig, filter: string, clock: Clock): PacketSource {
  return new PcapSource({ interfaces: config.interfaces, filter, now: () => clock.now() });
}

/** The configured firewall backend; its messages go to the log under component "firewall". */
export function defaultFirewall(config: FirewallConfig, logger: Logger, clock: Clock): Firewall {
  const log = logger.child({ component: 'firewall' });
  return createFirewall(config, {
    log: (msg, fields) => log.info(fields ?? {}, msg),
    now: () => clock.now(),
  });
}
