/**
 * `spa-server run`: the daemon in the foreground (systemd runs this). The config is loaded
 * once here first, so a bad file fails at once with exit code 2 and the log level is known;
 * the daemon itself (daemon/run.ts) loads it again and owns reloads.
 */
import { loadConfig } from '../config/load.js';
import { createLogger, type LogLevel } from '../log.js';
import { UsageError } from './_errors.js';

export interface RunOptions {
  readonly configPath: string;
  readonly logLevel?: string;
  /** auto (pretty on a terminal), json or pretty. */
  readonly logFormat?: string;
}

const LEVELS: readonly string[] = ['error', 'warn', 'info', 'debug'];

export async function run(opts: RunOptions): Promise<void> {
  if (opts.logLevel !== undefined && !LEVELS.includes(opts.logLevel)) {
    throw new UsageError(`--log-level ${opts.logLevel}: unknown level`, `use one of ${LEVELS.join(', ')}`);
  }
  const format = opts.logFormat ?? 'auto';
  if (!['auto', 'json', 'pretty'].includes(format))
    throw new UsageError(`--log-format ${format}`, 'use auto, json or pretty');
  const config = loadConfig(opts.configPath);
  const logger = createLogger({
    level: (opts.logLevel as LogLevel | undefined) ?? config.logLevel,
    ...(format === 'auto' ? {} : { pretty: format === 'pretty' }),
  });
  const { runDaemon } = await import('../daemon/run.js');
  await runDaemon({ configPath: config.path, logger });
}
