/**
 * `spa-server run`: the daemon in the foreground (systemd runs this). The config is loaded
 * once here first, so a bad file fails at once with exit code 2 and the log level is known;
 * the daemon itself (daemon/run.ts) loads it again and owns reloads.
 */

import { LOG_LEVELS, type LogLevel, loadConfig } from '../config/index.js';
import { createLogger, type DaemonOptions, type RunDaemonOptions, runDaemon } from '../daemon/index.js';
import { UsageError } from './errors.js';
import { checkTrialOption, parseTrialOption } from './trial-option.js';

export interface RunOptions {
  readonly configPath: string;
  readonly logLevel?: string;
  /** auto (pretty on a terminal), json or pretty. */
  readonly logFormat?: string;
  /** `--trial 120s`: the guard undoes itself unless a knock and a connection confirm it in time. */
  readonly trial?: string;
}

export async function run(opts: RunOptions): Promise<void> {
  if (opts.logLevel !== undefined && !isLogLevel(opts.logLevel)) {
    throw new UsageError(
      `--log-level ${opts.logLevel}: unknown level`,
      `use one of ${LOG_LEVELS.join(', ')}`,
    );
  }
  const format = opts.logFormat ?? 'auto';
  if (!['auto', 'json', 'pretty'].includes(format))
    throw new UsageError(`--log-format ${format}`, 'use auto, json or pretty');
  const trialSeconds = opts.trial === undefined ? undefined : parseTrialOption(opts.trial);
  const config = loadConfig(opts.configPath);
  if (trialSeconds !== undefined) checkTrialOption(config);
  const logger = createLogger({
    level: opts.logLevel ?? config.logLevel,
    ...(format === 'auto' ? {} : { pretty: format === 'pretty' }),
  });
  // runDaemon hands its options on to Daemon.start, which reads trialSeconds.
  const options: RunDaemonOptions & Pick<DaemonOptions, 'trialSeconds'> = {
    configPath: config.path,
    logger,
    ...(trialSeconds !== undefined ? { trialSeconds } : {}),
  };
  await runDaemon(options);
}

function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}
