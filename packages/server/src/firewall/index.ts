/**
 * The firewall part: one interface, several backends, chosen by configuration here.
 * The daemon's wiring calls `createFirewall(config.firewall, { log, now })` once.
 */

import type { FirewallBackend, FirewallConfig } from '../config/types.js';
import { CommandFirewall } from './command.js';
import { DryRunFirewall } from './dry-run.js';
import { type Clock, type Firewall, FirewallError, type LogFn, type TrialSupport } from './firewall.js';
import { IpsetFirewall } from './ipset.js';
import { NftablesFirewall, type NftablesTestSeams } from './nftables.js';
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
  type TrialSupport,
} from './firewall.js';
export { IpsetFirewall, type IpsetOptions } from './ipset.js';
export {
  DEFAULT_PRIORITY,
  DEFAULT_TABLE,
  NftablesFirewall,
  type NftablesOptions,
  type NftablesTestSeams,
} from './nftables.js';
export type { ChildLike, CommandTestSeams, SpawnFn } from './process.js';

/** What createFirewall reads of the `[firewall]` configuration (config/types.ts). */
export type FirewallChoice = Pick<FirewallConfig, 'backend'> &
  Partial<Pick<FirewallConfig, 'table' | 'command'>>;

export interface FirewallDeps {
  log?: LogFn;
  now?: Clock;
  spawn?: SpawnFn;
  /** Only tests set these; argvPrefix reaches every backend that runs commands. */
  testSeams?: NftablesTestSeams;
}

export function createFirewall(config: FirewallChoice, deps: FirewallDeps = {}): Firewall {
  const common = {
    ...(deps.spawn ? { spawn: deps.spawn } : {}),
  };
  const argvPrefix = deps.testSeams?.argvPrefix;
  const commandSeams = argvPrefix ? { testSeams: { argvPrefix } } : {};
  switch (config?.backend) {
    case 'nftables':
      return new NftablesFirewall({
        ...common,
        ...(config.table !== undefined ? { table: config.table } : {}),
        ...(deps.testSeams ? { testSeams: deps.testSeams } : {}),
        ...(deps.log ? { log: deps.log } : {}),
        ...(deps.now ? { now: deps.now } : {}),
      });
    case 'iptables':
      return new IpsetFirewall({
        ...common,
        ...commandSeams,
        ...(config.table !== undefined ? { name: config.table } : {}),
        ...(deps.log ? { log: deps.log } : {}),
        ...(deps.now ? { now: deps.now } : {}),
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
        ...commandSeams,
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
        `choose one of ${Object.keys(TRIAL_SUPPORT).join(', ')}`,
      );
  }
}

/**
 * Whether a backend can hold a trial, before one is built (`run --trial` checks the config
 * first). Every backend of the schema's list has an entry: the compiler checks it.
 */
const TRIAL_SUPPORT: Record<FirewallBackend, TrialSupport> = {
  nftables: NftablesFirewall.trial,
  iptables: IpsetFirewall.trial,
  command: CommandFirewall.trial,
  'dry-run': DryRunFirewall.trial,
};

export function trialSupport(backend: FirewallBackend): TrialSupport {
  return TRIAL_SUPPORT[backend];
}
