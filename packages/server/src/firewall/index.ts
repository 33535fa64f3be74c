/**
 * The firewall part: one interface, several backends, chosen by configuration here.
 * The daemon's wiring calls `createFirewall(config.firewall, { log, now })` once.
 */

import { CommandFirewall, type CommandTemplates } from './command.js';
import { DryRunFirewall } from './dry-run.js';
import { type Clock, type Firewall, FirewallError, type LogFn } from './firewall.js';
import { IpsetFirewall } from './ipset.js';
import { NftablesFirewall } from './nftables.js';
import type { SpawnFn } from './process.js';

export { canonicalOrAsIs } from './check.js';
export { CommandFirewall, type CommandOptions, type CommandTemplates, PLACEHOLDERS } from './command.js';
export { DryRunFirewall, type DryRunOptions } from './dry-run.js';
export {
  type Clock,
  type Firewall,
  FirewallError,
  type Grant,
  type GuardedPort,
  type GuardState,
  type L4,
  type LiveGrant,
  type LogFn,
  MAX_GRANT_SECONDS,
} from './firewall.js';
export { IpsetFirewall, type IpsetOptions } from './ipset.js';
export { DEFAULT_PRIORITY, DEFAULT_TABLE, NftablesFirewall, type NftablesOptions } from './nftables.js';
export type { ChildLike, SpawnFn } from './process.js';

export type BackendName = 'nftables' | 'iptables' | 'command' | 'dry-run';
export const BACKENDS: readonly BackendName[] = ['nftables', 'iptables', 'command', 'dry-run'];

export interface FirewallConfig {
  backend: BackendName;
  /** nftables: table name in the inet family; iptables: base name of the sets and chain. Default 'spa'. */
  table?: string;
  /** nftables only: base chain priority; default -10 (`filter - 10`). */
  priority?: number;
  /** command only: argv templates. */
  command?: CommandTemplates;
}

export interface FirewallDeps {
  log?: LogFn;
  now?: Clock;
  spawn?: SpawnFn;
  /** Prefix for every command, e.g. ['ip', 'netns', 'exec', 'NS'] (tests, the namespace lab). */
  argvPrefix?: string[];
}

export function createFirewall(config: FirewallConfig, deps: FirewallDeps = {}): Firewall {
  const common = {
    ...(deps.spawn ? { spawn: deps.spawn } : {}),
    ...(deps.argvPrefix ? { argvPrefix: deps.argvPrefix } : {}),
  };
  switch (config?.backend) {
    case 'nftables':
      return new NftablesFirewall({
        ...common,
        ...(config.table !== undefined ? { table: config.table } : {}),
        ...(config.priority !== undefined ? { priority: config.priority } : {}),
        ...(deps.log ? { log: deps.log } : {}),
        ...(deps.now ? { now: deps.now } : {}),
      });
    case 'iptables':
      return new IpsetFirewall({
        ...common,
        ...(config.table !== undefined ? { name: config.table } : {}),
        ...(deps.log ? { log: deps.log } : {}),
      });
    case 'command':
      if (!config.command) {
        throw new FirewallError(
          'bad-argument',
          'firewall: backend "command" needs command templates',
          'set firewall.command.grant (and revoke) to argv lists',
        );
      }
      return new CommandFirewall({
        ...common,
        templates: config.command,
        ...(deps.now ? { now: deps.now } : {}),
      });
    case 'dry-run':
      if (!deps.log)
        throw new FirewallError('bad-argument', 'firewall: the dry-run backend needs a log function');
      return new DryRunFirewall({ log: deps.log, ...(deps.now ? { now: deps.now } : {}) });
    default:
      throw new FirewallError(
        'bad-argument',
        `firewall: unknown backend ${JSON.stringify((config as { backend?: unknown })?.backend)}`,
        `choose one of ${BACKENDS.join(', ')}`,
      );
  }
}
