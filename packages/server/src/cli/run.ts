/**
 * `spa-server run`: the daemon in the foreground (systemd runs this). The config is loaded
 * once here first, so a bad file fails at once with exit code 2 and the log level is known;
 * the daemon itself (daemon/run.ts) loads it again and owns reloads.
 */

import { parseDurationMs } from '../config/duration.js';
import { loadConfig } from '../config/load.js';
import type { ServerConfig } from '../config/types.js';
import type { DaemonOptions } from '../daemon/daemon.js';
import { createLogger, type LogLevel } from '../daemon/log.js';
import type { RunDaemonOptions } from '../daemon/run.js';
import { guardedPorts } from '../pipeline/steps.js';
import { checkTrialPorts, checkTrialSeconds, TrialError } from '../trial/trial.js';
import { UsageError } from './errors.js';

export interface RunOptions {
  readonly configPath: string;
  readonly logLevel?: string;
  /** auto (pretty on a terminal), json or pretty. */
  readonly logFormat?: string;
  /** `--trial 120s`: the guard undoes itself unless a knock and a connection confirm it in time. */
  readonly trial?: string;
}

/** `--trial` text ("120s", "2m", "90") → whole seconds; a UsageError if it is not one. */
export function parseTrialOption(text: string): number {
  const ms = parseDurationMs(text);
  try {
    if (ms === undefined || ms % 1000 !== 0) throw new TrialError('trial-seconds', 'not whole seconds');
    return checkTrialSeconds(ms / 1000);
  } catch (e) {
    if (!(e instanceof TrialError)) throw e;
    throw new UsageError(
      `--trial ${text}: not a trial time`,
      'whole seconds, e.g. --trial 120s or --trial 2m (1 s to 24 h)',
    );
  }
}

/** What a trial needs from the config: a TCP service to confirm with, a backend that can undo it. */
export function checkTrialConfig(config: ServerConfig): void {
  if (config.firewall.backend === 'command')
    throw new UsageError(
      '--trial: the command backend cannot roll a guard back (the guard is your own script)',
      'test the guard by hand with an out-of-band console open, or use the nftables backend',
    );
  try {
    checkTrialPorts(guardedPorts(config.services), 'the configured services have');
  } catch (e) {
    if (e instanceof TrialError) throw new UsageError(e.message, e.hint);
    throw e;
  }
}

const LEVELS: readonly string[] = ['error', 'warn', 'info', 'debug'];

export async function run(opts: RunOptions): Promise<void> {
  if (opts.logLevel !== undefined && !LEVELS.includes(opts.logLevel)) {
    throw new UsageError(`--log-level ${opts.logLevel}: unknown level`, `use one of ${LEVELS.join(', ')}`);
  }
  const format = opts.logFormat ?? 'auto';
  if (!['auto', 'json', 'pretty'].includes(format))
    throw new UsageError(`--log-format ${format}`, 'use auto, json or pretty');
  const trialSeconds = opts.trial === undefined ? undefined : parseTrialOption(opts.trial);
  const config = loadConfig(opts.configPath);
  if (trialSeconds !== undefined) checkTrialConfig(config);
  const logger = createLogger({
    level: (opts.logLevel as LogLevel | undefined) ?? config.logLevel,
    ...(format === 'auto' ? {} : { pretty: format === 'pretty' }),
  });
  const { runDaemon } = await import('../daemon/run.js');
  // runDaemon hands its options on to Daemon.start, which reads trialSeconds.
  const options: RunDaemonOptions & Pick<DaemonOptions, 'trialSeconds'> = {
    configPath: config.path,
    logger,
    ...(trialSeconds !== undefined ? { trialSeconds } : {}),
  };
  await runDaemon(options);
}
