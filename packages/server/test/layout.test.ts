/**
 * The import rules of packages/server/src (docs/architecture.md), read from the sources:
 * - each folder's index.ts is its public face: an import that crosses folders names
 *   `../<folder>/index.js`; the one exception is the configuration's types
 *   (`import type … from '../config/types.js'`);
 * - the leaves (capture, config, firewall, policy, replay, sequence) import no other folder
 *   but those types, and no workspace package but @spa/shared;
 * - the folders depend on each other without a cycle;
 * - a command of the CLI imports no other command, only the CLI's shared helpers;
 * - production code imports nothing from test/ or tools/.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const src = join(fileURLToPath(import.meta.url), '../../../src');

const LEAVES = new Set(['capture', 'config', 'firewall', 'policy', 'replay', 'sequence']);
/** Files of cli/ that are not commands: what the commands share. */
const CLI_HELPERS = new Set([
  'index',
  'errors',
  'io',
  'format',
  'probes',
  'edit-config',
  'firewall',
  'trial-option',
  'profile-out',
  'audit',
]);

interface Import {
  readonly file: string; // e.g. "cli/run.ts"
  readonly spec: string;
  readonly typeOnly: boolean;
}

/** Every static import, `export … from` and dynamic import of a file. */
function importsOf(file: string, text: string): Import[] {
  const out: Import[] = [];
  const statement = /^\s*(import|export)\s+(type\s+)?[^;'"]*?from\s+['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(statement)) out.push({ file, spec: m[3]!, typeOnly: m[2] !== undefined });
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm))
    out.push({ file, spec: m[1]!, typeOnly: false });
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g))
    out.push({ file, spec: m[1]!, typeOnly: false });
  return out;
}

const folders = readdirSync(src).filter((f) => statSync(join(src, f)).isDirectory());
const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
const imports = files.flatMap((f) => importsOf(f, readFileSync(join(src, f), 'utf8')));

const folderOf = (file: string): string | undefined => (file.includes('/') ? file.split('/')[0] : undefined);

/** The folder and file a relative specifier of `from` points at, or undefined if it leaves src. */
function target(from: string, spec: string): { folder: string | undefined; name: string } | undefined {
  const parts = [...(folderOf(from) ? [folderOf(from)!] : []), ...spec.split('/')];
  const path: string[] = [];
  for (const p of parts) {
    if (p === '.') continue;
    if (p === '..') {
      if (path.length === 0) return undefined;
      path.pop();
    } else path.push(p);
  }
  const name = path.pop()!.replace(/\.js$/, '');
  if (path.length > 1) return { folder: path.join('/'), name }; // deeper than one folder: not expected
  return { folder: path[0], name };
}

const relative = imports.filter((i) => i.spec.startsWith('.'));

describe('packages/server/src import rules', () => {
  test('the sources were read: every folder, and imports across them', () => {
    assert.ok(folders.length >= 12, folders.join(' '));
    assert.ok(relative.length > 100);
    assert.ok(relative.some((i) => i.spec.startsWith('../')));
  });

  test('every folder has an index.ts, and no file pretends to be private with a _ prefix', () => {
    for (const f of folders) assert.ok(files.includes(`${f}/index.ts`), `${f}/ has no index.ts`);
    for (const f of files)
      assert.doesNotMatch(f, /(^|\/)_/, `${f}: a folder's non-index files are private already`);
  });

  test('imports stay in src/ and cross folders only through index.ts (or config types)', () => {
    const bad: string[] = [];
    for (const i of relative) {
      const t = target(i.file, i.spec);
      if (!t) {
        bad.push(`${i.file}: ${i.spec} leaves src/`);
        continue;
      }
      if (t.folder === folderOf(i.file)) continue;
      if (t.folder === 'config' && t.name === 'types' && i.typeOnly) continue;
      if (t.name !== 'index') bad.push(`${i.file}: ${i.spec} is not ${t.folder}/index.js`);
    }
    assert.deepEqual(bad, []);
  });

  test('leaves import no other folder but config types, and no workspace package but @spa/shared', () => {
    const bad: string[] = [];
    for (const i of imports) {
      const from = folderOf(i.file);
      if (!from || !LEAVES.has(from)) continue;
      if (i.spec.startsWith('.')) {
        const t = target(i.file, i.spec);
        if (t?.folder === from) continue;
        if (t?.folder === 'config' && t.name === 'types' && i.typeOnly) continue;
        bad.push(`${i.file}: ${i.spec}`);
      } else if (i.spec.startsWith('@spa/') && i.spec !== '@spa/shared') bad.push(`${i.file}: ${i.spec}`);
    }
    assert.deepEqual(bad, []);
  });

  test('the folders depend on each other without a cycle', () => {
    const deps = new Map<string, Set<string>>(folders.map((f) => [f, new Set()]));
    for (const i of relative) {
      const from = folderOf(i.file);
      const to = target(i.file, i.spec)?.folder;
      if (from && to && to !== from) deps.get(from)?.add(to);
    }
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (f: string, path: string[]): void => {
      if (state.get(f) === 'done') return;
      assert.notEqual(state.get(f), 'visiting', `cycle: ${[...path, f].join(' → ')}`);
      state.set(f, 'visiting');
      for (const d of deps.get(f) ?? []) visit(d, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of folders) visit(f, []);
    assert.ok((deps.get('pipeline')?.size ?? 0) >= 5, 'the pipeline uses the parts of the packet path');
  });

  test('a command imports no other command', () => {
    const bad: string[] = [];
    for (const i of relative) {
      if (folderOf(i.file) !== 'cli') continue;
      const from = i.file.slice('cli/'.length, -'.ts'.length);
      const t = target(i.file, i.spec);
      if (from === 'index' || t?.folder !== 'cli') continue;
      if (!CLI_HELPERS.has(t.name)) bad.push(`cli/${from}.ts imports command ${t.name}`);
    }
    assert.deepEqual(bad, []);
  });
});
