/**
 * Changing clients without losing the operator's comments: the CLI edits the
 * `[clients.NAME]` tables as text (append a table; cut one out; replace or insert one
 * `key = value` line), then parses the result and compares it with the intended document.
 * If the file is written in a way the text edit does not understand (clients as inline
 * tables, dotted keys, ...), the edit falls back to re-rendering the whole file from the
 * intended document with the standard comments (render.ts), and says so (`preserved: false`).
 */
import { isTable, keyText, type Table } from './_fields.js';
import { parseToml } from './parse.js';
import { renderClient, renderConfig, tomlLine } from './render.js';

export interface Edited {
  readonly text: string;
  /** false: the text edit was not possible and the file was re-rendered (comments replaced). */
  readonly preserved: boolean;
}

/** JSON with sorted keys and dates as ISO text: equal documents give equal strings. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (x instanceof Date) return `date:${x.toISOString()}`;
    if (isTable(x))
      return Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return x;
  });
}

function clientsOf(doc: Table): Table {
  const c = doc.clients;
  if (c === undefined) {
    const fresh: Table = {};
    doc.clients = fresh;
    return fresh;
  }
  if (!isTable(c)) throw new Error('clients is not a table');
  return c;
}

/** Apply `change` to a copy of the parsed document; keep the text edit if it parses to the same. */
function edit(
  text: string,
  file: string,
  textEdit: () => string | undefined,
  change: (doc: Table) => void,
): Edited {
  const intended = parseToml(text, file);
  change(intended);
  const candidate = textEdit();
  if (candidate !== undefined) {
    try {
      if (canonical(parseToml(candidate, file)) === canonical(intended))
        return { text: candidate, preserved: true };
    } catch {
      // fall through to re-rendering
    }
  }
  return { text: renderConfig(intended), preserved: false };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const HEADER = /^\s*\[[^[]/;

/** [start, end) line indexes of the client's table, including comment lines right above its header. */
function clientBlock(lines: readonly string[], name: string): [number, number, number] | undefined {
  const quoted = `(?:${escapeRegExp(keyText(name))}|"${escapeRegExp(name)}"|'${escapeRegExp(name)}')`;
  const header = new RegExp(`^\\s*\\[\\s*clients\\s*\\.\\s*${quoted}\\s*\\]\\s*(#.*)?$`);
  const at = lines.findIndex((l) => header.test(l));
  if (at < 0) return undefined;
  let start = at;
  while (start > 0 && /^\s*#/.test(lines[start - 1]!)) start--;
  let end = at + 1;
  while (end < lines.length && !HEADER.test(lines[end]!)) end++;
  // Comments directly above the next header belong to the next table.
  if (end < lines.length) while (end > at + 1 && /^\s*#/.test(lines[end - 1]!)) end--;
  return [start, at, end];
}

export function addClientText(text: string, file: string, name: string, entry: Table): Edited {
  return edit(
    text,
    file,
    () => `${text.trimEnd()}\n\n${renderClient(name, entry)}\n`,
    (doc) => {
      clientsOf(doc)[name] = entry;
    },
  );
}

export function removeClientText(text: string, file: string, name: string): Edited {
  return edit(
    text,
    file,
    () => {
      const lines = text.split('\n');
      const block = clientBlock(lines, name);
      if (!block) return undefined;
      const [start, , end] = block;
      let to = end;
      while (to < lines.length && lines[to]!.trim() === '') to++; // so blank lines do not pile up
      return `${lines.slice(0, start).concat(lines.slice(to)).join('\n').trimEnd()}\n`;
    },
    (doc) => {
      delete clientsOf(doc)[name];
    },
  );
}

/** Set one key of a client's table (e.g. revoked = true). */
export function setClientValueText(
  text: string,
  file: string,
  name: string,
  key: string,
  value: unknown,
): Edited {
  return edit(
    text,
    file,
    () => {
      const lines = text.split('\n');
      const block = clientBlock(lines, name);
      if (!block) return undefined;
      const [, at, end] = block;
      const line = tomlLine(key, value);
      const keyRe = new RegExp(`^\\s*${escapeRegExp(keyText(key))}\\s*=`);
      const i = lines.slice(at + 1, end).findIndex((l) => keyRe.test(l));
      if (i >= 0) {
        lines[at + 1 + i] = line;
      } else {
        let last = end; // after the table's last key line, not after trailing blanks or comments
        while (last > at + 1 && /^\s*(#.*)?$/.test(lines[last - 1]!)) last--;
        lines.splice(last, 0, line);
      }
      return lines.join('\n');
    },
    (doc) => {
      const entry = clientsOf(doc)[name];
      if (!isTable(entry)) throw new Error(`client ${name} is not a table`);
      entry[key] = value;
    },
  );
}
