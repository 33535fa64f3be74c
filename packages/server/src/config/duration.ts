/**
 * Durations in the config file: an integer number of seconds (`30`, a TOML integer or text),
 * or text in the duration grammar of @spa/shared (`"30s"`, `"5m"`, `"1m30s"`, `"500ms"`).
 */
import { parseDuration } from '@spa/shared';

export { formatDuration } from '@spa/shared';

/** Milliseconds, or undefined if the value is not a duration. */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? value * 1000 : undefined;
  }
  return typeof value === 'string' ? parseDuration(value, 's') : undefined;
}
