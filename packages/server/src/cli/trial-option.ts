/** `--trial` of `run` and `reload`: the time, and whether the configuration can hold a trial. */
import { parseDurationMs, type ServerConfig } from '../config/index.js';
import { checkTrialConfig } from '../daemon/index.js';
import { checkTrialSeconds, TrialError } from '../trial/index.js';
import { UsageError } from './errors.js';

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

/** What a trial needs from the config (daemon checkTrialConfig), as a usage error (exit 64). */
export function checkTrialOption(config: ServerConfig): void {
  try {
    checkTrialConfig(config);
  } catch (e) {
    if (e instanceof TrialError) throw new UsageError(e.message, e.hint);
    throw e;
  }
}
