/**
 * access.conf and the files it includes → numbered stanzas, in the order fwknopd reads
 * them. `%include FILE` and `%include_folder DIR` (its *.conf files, sorted by name) are
 * followed up to MAX_INCLUDE_DEPTH levels, each file once; `%include_keys FILE` adds the
 * key variables of FILE to its stanza. File access is passed in (tests use a map).
 * Relative paths are taken from the including file's directory.
 */
import { dirname, join, resolve } from 'node:path';
import {
  type AccessDirective,
  type AccessEntry,
  type AccessProblem,
  parseAccessConf,
  parseKeysFile,
} from './access-conf.js';
import type { NumberedStanza } from './plan.js';

export const MAX_INCLUDE_DEPTH = 4;

export interface AccessFiles {
  /** File text; throws (with a message) if it cannot be read. */
  read(path: string): string;
  /** Names in a directory; throws if it cannot be listed. */
  list(dir: string): string[];
}

/** What happened to one directive, for the report. */
export interface DirectiveNote {
  readonly directive: AccessDirective;
  /** e.g. "read 2 stanzas from /etc/fwknop/a.conf", or why it was not followed. */
  readonly result: string;
  readonly ok: boolean;
}

export interface Collected {
  readonly stanzas: NumberedStanza[];
  readonly directives: DirectiveNote[];
  readonly problems: AccessProblem[];
}

function errorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return 'no such file or directory';
  if (err.code === 'EACCES' || err.code === 'EPERM') return 'permission denied';
  if (err.code === 'EISDIR') return 'is a directory';
  if (err.code === 'ENOTDIR') return 'not a directory';
  return err instanceof Error ? err.message : String(e);
}

/** Collect the stanzas of `file` (whose text is given) and everything it includes. */
export function collectStanzas(file: string, text: string, fs: AccessFiles): Collected {
  const stanzas: NumberedStanza[] = [];
  const directives: DirectiveNote[] = [];
  const problems: AccessProblem[] = [];
  const seen = new Set<string>([resolve(file)]);

  const walk = (path: string, body: string, depth: number): number => {
    const before = stanzas.length;
    const conf = parseAccessConf(body, path);
    problems.push(...conf.problems);
    for (const item of conf.items) {
      if (item.kind === 'stanza') {
        const s = item.stanza;
        const entries: AccessEntry[] = [...s.entries];
        for (const d of s.includeKeys) {
          const target = resolve(dirname(path), d.path);
          try {
            const keys = parseKeysFile(fs.read(target), target);
            entries.push(...keys.entries);
            problems.push(...keys.problems);
            directives.push({
              directive: d,
              ok: true,
              result: `read ${keys.entries.length} key lines from ${target}`,
            });
          } catch (e) {
            directives.push({ directive: d, ok: false, result: `not read: ${target}: ${errorText(e)}` });
          }
        }
        stanzas.push({ number: stanzas.length + 1, file: s.file, line: s.line, source: s.source, entries });
        continue;
      }
      const d = item.directive;
      const target = resolve(dirname(path), d.path);
      if (depth >= MAX_INCLUDE_DEPTH) {
        directives.push({
          directive: d,
          ok: false,
          result: `not followed: more than ${MAX_INCLUDE_DEPTH} levels of %include`,
        });
        continue;
      }
      let files: string[];
      if (d.kind === 'include') {
        files = [target];
      } else {
        try {
          files = fs
            .list(target)
            .filter((n) => n.endsWith('.conf'))
            .sort()
            .map((n) => join(target, n));
        } catch (e) {
          directives.push({ directive: d, ok: false, result: `not read: ${target}: ${errorText(e)}` });
          continue;
        }
        if (files.length === 0)
          directives.push({ directive: d, ok: true, result: `no *.conf files in ${target}` });
      }
      for (const f of files) {
        if (seen.has(f)) {
          directives.push({
            directive: d,
            ok: false,
            result: `not followed: ${f} is already read (an include loop?)`,
          });
          continue;
        }
        seen.add(f);
        let inner: string;
        try {
          inner = fs.read(f);
        } catch (e) {
          directives.push({ directive: d, ok: false, result: `not read: ${f}: ${errorText(e)}` });
          continue;
        }
        const n = walk(f, inner, depth + 1);
        directives.push({
          directive: d,
          ok: true,
          result: `read ${n} stanza${n === 1 ? '' : 's'} from ${f}`,
        });
      }
    }
    return stanzas.length - before;
  };

  walk(resolve(file), text, 0);
  return { stanzas, directives, problems };
}
