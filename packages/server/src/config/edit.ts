/**
 * Changing clients without losing the operator's comments: the CLI edits the
 * `[clients.NAME]` tables as text (append a table; cut one out; replace or insert one
 * `key = value` line), then parses the result and compares it with the intended document.
 * If the file is written in a way the text edit does not understand (clients as inline
 * tables, dotted keys, ...), the edit falls back to re-rendering the whole file from the
 * intended document with the standard comments (render.ts), and says so (`preserved: false`).
 */
import { isTable, keyText, type Table } from './fields.js';
import { parseToml } from './parse.js';
import { renderClient, renderConfig, renderFwknopClient, tomlLine } from './render.js';

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

function tableOf(doc: Table, key: string): Table {
  const c = doc[key];
  if (c === undefined) {
    const fresh: Table = {};
    doc[key] = fresh;
    return fresh;
  }
  if (!isTable(c)) throw new Error(`${key} is not a table`);
  return c;
}

function clientsOf(doc: Table): Table {
  return tableOf(doc, 'clients');
}

/** Where a client's table lives: native clients, or clients of the stock fwknop client. */
export type ClientSection = 'clients' | 'fwknop_clients';

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
function clientBlock(
  lines: readonly string[],
  name: string,
  section: ClientSection = 'clients',
): [number, number, number] | undefined {
  const quoted = `(?:${escapeRegExp(keyText(name))}|"${escapeRegExp(name)}"|'${escapeRegExp(name)}')`;
  const header = new RegExp(`^\\s*\\[\\s*${section}\\s*\\.\\s*${quoted}\\s*\\]\\s*(#.*)?$`);
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

export function removeClientText(
  text: string,
  file: string,
  name: string,
  section: ClientSection = 'clients',
): Edited {
  return edit(
    text,
    file,
    () => {
      const lines = text.split('\n');
      const block = clientBlock(lines, name, section);
      if (!block) return undefined;
      const [start, , end] = block;
      let to = end;
      while (to < lines.length && lines[to]!.trim() === '') to++; // so blank lines do not pile up
      return `${lines.slice(0, start).concat(lines.slice(to)).join('\n').trimEnd()}\n`;
    },
    (doc) => {
      const table = tableOf(doc, section);
      delete table[name];
      // The last client's table gone: the text has no [section.…] header left either.
      if (Object.keys(table).length === 0) delete doc[section];
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
  section: ClientSection = 'clients',
): Edited {
  return edit(
    text,
    file,
    () => {
      const lines = text.split('\n');
      const block = clientBlock(lines, name, section);
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
      const entry = tableOf(doc, section)[name];
      if (!isTable(entry)) throw new Error(`client ${name} is not a table`);
      entry[key] = value;
    },
  );
}

export interface FwknopImport {
  /** New `[services]` entries: name → "PORT/PROTO". */
  readonly services: readonly (readonly [string, string])[];
  /** New `[fwknop_clients.NAME]` tables. */
  readonly clients: readonly (readonly [string, Table])[];
}

/** Insert `key = value` lines at the end of the `[services]` table (or add the table). */
function addServiceLines(text: string, entries: readonly (readonly [string, string])[]): string | undefined {
  if (entries.length === 0) return text;
  const lines = text.split('\n');
  const added = entries.map(([name, spec]) => tomlLine(name, spec));
  const at = lines.findIndex((l) => /^\s*\[\s*services\s*\]\s*(#.*)?$/.test(l));
  if (at < 0) return `${text.trimEnd()}\n\n[services]\n${added.join('\n')}\n`;
  let end = at + 1;
  while (end < lines.length && !HEADER.test(lines[end]!)) end++;
  let last = end; // after the table's last key line, not after trailing blanks or comments
  while (last > at + 1 && /^\s*(#.*)?$/.test(lines[last - 1]!)) last--;
  lines.splice(last, 0, ...added);
  return lines.join('\n');
}

/**
 * `spa-server import-fwknop`: new services go at the end of `[services]`, new
 * `[fwknop_clients.NAME]` tables at the end of the file.
 */
export function addFwknopImportText(text: string, file: string, add: FwknopImport): Edited {
  return edit(
    text,
    file,
    () => {
      const withServices = addServiceLines(text, add.services);
      if (withServices === undefined) return undefined;
      const tables = add.clients.map(([name, entry]) => renderFwknopClient(name, entry));
      return tables.length === 0 ? withServices : `${withServices.trimEnd()}\n\n${tables.join('\n\n')}\n`;
    },
    (doc) => {
      const services = tableOf(doc, 'services');
      for (const [name, spec] of add.services) services[name] = spec;
      const clients = tableOf(doc, 'fwknop_clients');
      for (const [name, entry] of add.clients) clients[name] = entry;
    },
  );
}
