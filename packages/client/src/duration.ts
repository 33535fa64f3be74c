/**
 * Durations on the command line, in the grammar of the server's config file (@spa/shared
 * parseDuration): `60` or `60s` (seconds), `5m`, `1h`, `1m30s` for `--duration`; `100` or
 * `100ms`, `1s` for `--gap`.
 */
import { DURATION_MAX_SECONDS, parseDuration } from '@spa/shared';
import { usage } from './errors.js';

function parse(text: string, bareUnit: 'ms' | 's', label: string): number {
  const ms = parseDuration(text, bareUnit);
  if (ms === undefined) {
    throw usage(
      `${label} "${text}": expected a number with an optional unit (ms, s, m, h), or units combined largest first`,
      'e.g. 60, 60s, 5m, 1m30s',
    );
  }
  return ms;
}

/** `--duration`: whole seconds, 1 s to one day (the server caps it lower). */
export function parseDurationSeconds(text: string): number {
  const ms = parse(text, 's', '--duration');
  if (ms % 1000 !== 0) throw usage(`--duration "${text}": use whole seconds`);
  const s = ms / 1000;
  if (s < 1 || s > DURATION_MAX_SECONDS) {
    throw usage(`--duration "${text}": must be 1 s to ${DURATION_MAX_SECONDS / 3600} h`);
  }
  return s;
}

/** `--gap` between knocks: milliseconds, 1 ms to 10 min. */
export function parseGapMs(text: string): number {
  const ms = parse(text, 'ms', '--gap');
  if (ms < 1 || ms > 600_000) throw usage(`--gap "${text}": must be 1 ms to 10 min`);
  return ms;
}

/** `42 s`, `5 min`, `1 h 30 min`: for messages. */
export function formatSeconds(s: number): string {
  if (s < 120 || s % 60 !== 0) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = (s % 3600) / 60;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}
