/**
 * Config document (plain TOML table) → TOML text with the standard comments from schema.ts.
 * Used by `init`, and by edits that cannot be made in place (see edit.ts). Keys are
 * written in schema order; keys absent from the document are left out.
 */
import { stringify } from 'smol-toml';
import { isTable, keyText, type Table } from './fields.js';
import {
  CLIENT_KEYS,
  CLIENTS_TITLE,
  FILE_HEADER,
  FWKNOP_CLIENT_KEYS,
  FWKNOP_SECTION,
  SECTIONS,
  SERVICES_TITLE,
} from './schema.js';

/** Comment above the `[fwknop_clients.NAME]` tables (written only when there are some). */
const FWKNOP_CLIENTS_TITLE: readonly string[] = [
  'Clients of the stock fwknop client: [fwknop_clients.NAME]. Import them with',
  '`spa-server import-fwknop /etc/fwknop/access.conf`.',
];

/** Column where trailing comments start. */
const COMMENT_COLUMN = 32;

/** `key = value` with smol-toml's quoting of the value. */
export function tomlLine(key: string, value: unknown): string {
  const line = stringify({ v: value }).trim();
  return `${keyText(key)} = ${line.slice(line.indexOf('=') + 1).trim()}`;
}

function comment(lines: readonly string[]): string[] {
  return lines.map((l) => `# ${l}`);
}

function keyLine(key: string, value: unknown, doc: string | undefined): string[] {
  const line = tomlLine(key, value);
  if (!doc) return [line];
  if (line.length < COMMENT_COLUMN - 1) return [`${line.padEnd(COMMENT_COLUMN)}# ${doc}`];
  return [`# ${doc}`, line];
}

function lookup(doc: Table, dotted: string): Table | undefined {
  let t: unknown = doc;
  for (const part of dotted.split('.')) t = isTable(t) ? t[part] : undefined;
  return isTable(t) ? t : undefined;
}

/** One `[clients.NAME]` table (no trailing blank line). */
export function renderClient(name: string, entry: Table): string {
  const lines = [`[clients.${keyText(name)}]`];
  for (const { key } of CLIENT_KEYS) if (entry[key] !== undefined) lines.push(tomlLine(key, entry[key]));
  return lines.join('\n');
}

/** One `[fwknop_clients.NAME]` table (no trailing blank line). */
export function renderFwknopClient(name: string, entry: Table): string {
  const lines = [`[fwknop_clients.${keyText(name)}]`];
  for (const { key } of FWKNOP_CLIENT_KEYS)
    if (entry[key] !== undefined) lines.push(tomlLine(key, entry[key]));
  return lines.join('\n');
}

export function renderConfig(doc: Table): string {
  const out: string[] = [...comment(FILE_HEADER), ''];
  for (const section of [...SECTIONS, FWKNOP_SECTION]) {
    const table = lookup(doc, section.name);
    if (!table) continue;
    out.push(...comment(section.title), `[${section.name}]`);
    for (const { key, doc: text } of section.keys) {
      if (table[key] !== undefined && !isTable(table[key])) out.push(...keyLine(key, table[key], text));
    }
    out.push('');
  }
  const services = lookup(doc, 'services');
  if (services) {
    out.push(...comment(SERVICES_TITLE), '[services]');
    for (const [name, spec] of Object.entries(services)) out.push(tomlLine(name, spec));
    out.push('');
  }
  const clients = lookup(doc, 'clients');
  out.push(...comment(CLIENTS_TITLE));
  out.push(...comment(CLIENT_KEYS.map((k) => `  ${k.key}: ${k.doc}`)));
  out.push('');
  for (const [name, entry] of Object.entries(clients ?? {})) {
    if (isTable(entry)) out.push(renderClient(name, entry), '');
  }
  const fwknopClients = lookup(doc, 'fwknop_clients');
  if (fwknopClients && Object.keys(fwknopClients).length > 0) {
    out.push(...comment(FWKNOP_CLIENTS_TITLE));
    out.push(...comment(FWKNOP_CLIENT_KEYS.map((k) => `  ${k.key}: ${k.doc}`)));
    out.push('');
    for (const [name, entry] of Object.entries(fwknopClients)) {
      if (isTable(entry)) out.push(renderFwknopClient(name, entry), '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}
