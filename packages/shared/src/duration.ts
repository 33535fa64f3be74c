/**
 * Durations as people write them, one grammar for the server's config file and the client's
 * flags: a bare integer (in a unit the caller names: seconds for `[policy] max_duration` and
 * `--duration`, milliseconds for `--gap`), or one or more `<integer><unit>` parts, largest
 * unit first, each unit once, with units h, m, s, ms: `30s`, `5m`, `1m30s`, `500ms`.
 */
const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
export type DurationUnit = keyof typeof UNIT_MS;
const ORDER: readonly DurationUnit[] = ['h', 'm', 's', 'ms'];
const PART = /([0-9]+)(ms|h|m|s)/y;

/** Milliseconds, or undefined if `text` is not a duration (or too large to be exact). */
export function parseDuration(text: string, bareUnit: 's' | 'ms'): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  let total = 0;
  if (/^[0-9]+$/.test(t)) {
    total = Number(t) * UNIT_MS[bareUnit];
  } else {
    let lastUnit = -1;
    const part = new RegExp(PART); // sticky; a fresh lastIndex per call
    while (part.lastIndex < t.length) {
      const m = part.exec(t);
      if (!m) return undefined;
      const unit = ORDER.indexOf(m[2] as DurationUnit);
      if (unit <= lastUnit) return undefined; // "5s1m", "5s5s": out of order or repeated
      lastUnit = unit;
      total += Number(m[1]) * UNIT_MS[m[2] as DurationUnit];
    }
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Shortest text form, in the same grammar: "30s", "5m", "1h30m", "1m30s500ms"; 0 is "0s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of ORDER) {
    const n = Math.floor(rest / UNIT_MS[unit]);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * UNIT_MS[unit];
    }
  }
  return out;
}
