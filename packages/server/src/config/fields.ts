/**
 * Typed readers over one TOML table, each failing with a ConfigError that names the file
 * and the full key path. Unknown keys are refused when the table is opened, with the
 * closest known key suggested.
 */
import type { PortRange } from '@spa/shared';
import { parseDurationMs } from './duration.js';
import { ConfigError } from './errors.js';

export type Table = Record<string, unknown>;

export function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** TOML-ish description of a value's type, for "expected X, got Y" messages. */
export function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return 'a date';
  if (isTable(v)) return 'a table';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeof v;
}

/** Key as written in a dotted path: bare if possible, else quoted. */
export function keyText(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k);
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

export function closest(word: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const o of options) {
    const d = editDistance(word, o);
    if (d < bestD) {
      best = o;
      bestD = d;
    }
  }
  return best;
}

export class Fields {
  readonly file: string;
  /** Dotted path of this table ('' for the root). */
  readonly path: string;
  readonly table: Table;

  constructor(file: string, path: string, table: Table, known: readonly string[] | undefined) {
    this.file = file;
    this.path = path;
    this.table = table;
    if (known) {
      for (const k of Object.keys(table)) {
        if (known.includes(k)) continue;
        const near = closest(k, known);
        this.fail(
          k,
          `unknown key "${k}"`,
          near
            ? `did you mean "${near}"? known keys: ${known.join(', ')}`
            : `known keys: ${known.join(', ')}`,
        );
      }
    }
  }

  at(k: string): string {
    return this.path ? `${this.path}.${keyText(k)}` : keyText(k);
  }

  fail(k: string | undefined, problem: string, hint: string): never {
    throw new ConfigError(
      'config-invalid',
      this.file,
      k === undefined ? this.path : this.at(k),
      problem,
      hint,
    );
  }

  /** Fail about item `i` of the array at `k`: `clients.alice.services[1]`. */
  failItem(k: string, i: number, problem: string, hint: string): never {
    throw new ConfigError('config-invalid', this.file, `${this.at(k)}[${i}]`, problem, hint);
  }

  has(k: string): boolean {
    return this.table[k] !== undefined;
  }

  required<T>(k: string, read: (k: string) => T | undefined, what: string, example: string): T {
    if (!this.has(k)) this.fail(k, `missing ${what}`, `add: ${keyText(k)} = ${example}`);
    return read(k) as T;
  }

  sub(k: string, known: readonly string[] | undefined): Fields | undefined {
    const v = this.table[k];
    if (v === undefined) return undefined;
    if (!isTable(v)) this.fail(k, `expected a table, got ${typeName(v)}`, `write it as [${this.at(k)}]`);
    return new Fields(this.file, this.at(k), v, known);
  }

  string(k: string): string | undefined {
    const v = this.table[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string')
      this.fail(k, `expected a string, got ${typeName(v)}`, 'put the value in "quotes"');
    return v;
  }

  bool(k: string, def: boolean): boolean {
    const v = this.table[k];
    if (v === undefined) return def;
    if (typeof v !== 'boolean')
      this.fail(k, `expected true or false, got ${typeName(v)}`, 'write true or false');
    return v;
  }

  int(k: string, min: number, max: number, def: number): number {
    const v = this.table[k];
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
      this.fail(
        k,
        `expected an integer from ${min} to ${max}, got ${typeName(v)}`,
        `use a number in ${min}..${max}`,
      );
    }
    return v;
  }

  oneOf<T extends string>(k: string, options: readonly T[], def: T): T {
    const v = this.table[k];
    if (v === undefined) return def;
    if (typeof v !== 'string' || !options.includes(v as T)) {
      this.fail(
        k,
        `expected one of ${options.join(', ')}, got ${typeName(v)}`,
        `use one of: ${options.join(' | ')}`,
      );
    }
    return v as T;
  }

  stringArray(k: string, def: readonly string[]): readonly string[] {
    const v = this.table[k];
    if (v === undefined) return def;
    if (!Array.isArray(v))
      this.fail(k, `expected an array of strings, got ${typeName(v)}`, 'write ["a", "b"]');
    v.forEach((item, i) => {
      if (typeof item !== 'string') {
        this.failItem(k, i, `expected a string, got ${typeName(item)}`, 'put each item in "quotes"');
      }
    });
    return v as string[];
  }

  /** A duration in ms between minMs and maxMs; `wholeSeconds` refuses "1500ms" where seconds are meant. */
  durationMs(k: string, def: number, minMs: number, maxMs: number, wholeSeconds: boolean): number {
    const v = this.table[k];
    if (v === undefined) return def;
    const ms = parseDurationMs(v);
    if (ms === undefined) {
      this.fail(
        k,
        `expected a duration, got ${typeName(v)}`,
        'write integer seconds (30) or "30s", "5m", "1h"',
      );
    }
    if (wholeSeconds && ms % 1000 !== 0)
      this.fail(k, `must be whole seconds, got ${typeName(v)}`, 'round it to seconds');
    if (ms < minMs || ms > maxMs) {
      this.fail(
        k,
        `must be from ${show(minMs)} to ${show(maxMs)}, got ${typeName(v)}`,
        'pick a value in that range',
      );
    }
    return ms;
  }

  /** "40000-49999" or [40000, 49999]. */
  portRange(k: string, def: PortRange): PortRange {
    const v = this.table[k];
    if (v === undefined) return def;
    let pair: unknown[] | undefined;
    if (typeof v === 'string') {
      const m = /^\s*([0-9]{1,5})\s*-\s*([0-9]{1,5})\s*$/.exec(v);
      pair = m ? [Number(m[1]), Number(m[2])] : undefined;
    } else if (Array.isArray(v) && v.length === 2) {
      pair = v;
    }
    const [lo, hi] = pair ?? [];
    const ok = (p: unknown): p is number =>
      typeof p === 'number' && Number.isSafeInteger(p) && p >= 1 && p <= 65535;
    if (!ok(lo) || !ok(hi) || lo > hi) {
      this.fail(
        k,
        `expected a port range "LOW-HIGH" within 1-65535, got ${typeName(v)}`,
        'write e.g. "40000-49999"',
      );
    }
    return [lo, hi];
  }
}

function show(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
