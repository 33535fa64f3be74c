/**
 * Durations in the config file: an integer number of seconds (`30`) or a string of one or
 * more `<integer><unit>` parts, largest unit first, with units h, m, s, ms (`"30s"`, `"5m"`,
 * `"1m30s"`, `"500ms"`). Returns milliseconds, or undefined if the text is not a duration.
 */
const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
const ORDER = ['h', 'm', 's', 'ms'] as const;
const PART = /([0-9]+)(ms|h|m|s)/y;

export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? value * 1000 : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^[0-9]+$/.test(text)) return Number(text) * 1000;
  let total = 0;
  let lastUnit = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const m = PART.exec(text);
    if (!m) return undefined;
    const unit = ORDER.indexOf(m[2] as (typeof ORDER)[number]);
    if (unit <= lastUnit) return undefined; // "5s1m", "5s5s": out of order or repeated
    lastUnit = unit;
    total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Shortest text form: "30s", "5m", "1h30m", "500ms". */
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
