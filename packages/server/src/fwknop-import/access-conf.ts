/**
 * fwknopd's access.conf as data (pure: text in, stanzas out; no file system).
 *
 * The format, as fwknopd reads it (fwknopd(8) "ACCESS.CONF VARIABLES"; the stock
 * /etc/fwknop/access.conf):
 *   - one `VARIABLE value` per line; the value is the rest of the line up to a `;`;
 *     a `:` right after the variable name is dropped (`SOURCE: ANY`);
 *   - lines starting with `#` or `;` are comments, blank lines are skipped;
 *   - every stanza begins with a SOURCE line; variables before the first SOURCE are ignored;
 *   - `%include FILE` and `%include_folder DIR` pull in more stanzas, `%include_keys FILE`
 *     the keys of the current stanza. This parser only records them (collect.ts follows them).
 * A later line for the same variable overrides an earlier one, as in fwknopd.
 */

import { isKeyFileVariable, isSecretVariable, KEY_FILE_VARIABLES } from './variables.js';

export interface AccessEntry {
  /** Variable name as written, without a trailing ':' (fwknopd matches names exactly). */
  readonly key: string;
  readonly value: string;
  readonly file: string;
  readonly line: number;
}

export type DirectiveKind = 'include' | 'include_folder' | 'include_keys';

export interface AccessDirective {
  readonly kind: DirectiveKind;
  /** The path as written. */
  readonly path: string;
  readonly file: string;
  readonly line: number;
}

export interface AccessStanza {
  readonly file: string;
  /** Line of the SOURCE variable. */
  readonly line: number;
  readonly source: string;
  /** Every variable after SOURCE, in file order (SOURCE itself not included). */
  readonly entries: AccessEntry[];
  /** `%include_keys` directives inside this stanza. */
  readonly includeKeys: AccessDirective[];
}

/** A line that is not part of any stanza, or that could not be read. */
export interface AccessProblem {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly why: string;
}

export type AccessItem =
  | { readonly kind: 'stanza'; readonly stanza: AccessStanza }
  | { readonly kind: 'directive'; readonly directive: AccessDirective };

export interface AccessConf {
  readonly file: string;
  /** Stanzas and `%include`/`%include_folder` directives, in file order. */
  readonly items: readonly AccessItem[];
  readonly problems: readonly AccessProblem[];
}

const DIRECTIVES: Record<string, DirectiveKind> = {
  '%include': 'include',
  '%include_folder': 'include_folder',
  '%include_keys': 'include_keys',
};

/** One line as `[variable, value]`, or undefined for comments and blank lines. */
export function splitLine(raw: string): { key: string; value: string } | 'blank' {
  const line = raw.replace(/\r$/, '');
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return 'blank';
  const m = /^(\S+)\s*(.*)$/.exec(trimmed)!;
  const key = m[1]!.replace(/:$/, '');
  const value = (m[2] ?? '').split(';')[0]!.trim();
  return { key, value };
}

export function parseAccessConf(text: string, file: string): AccessConf {
  const items: AccessItem[] = [];
  const problems: AccessProblem[] = [];
  let current: AccessStanza | undefined;
  // After an %include, fwknopd's stanza is the included file's last one: lines up to the next
  // SOURCE are not reliably anyone's, so they are reported instead of guessed.
  let afterInclude = false;
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const parsed = splitLine(raw);
    if (parsed === 'blank') return;
    const { key, value } = parsed;
    const shown = raw.trim();
    const directive = DIRECTIVES[key];
    if (key.startsWith('%')) {
      if (!directive) {
        problems.push({ file, line, text: shown, why: `unknown directive ${key}` });
        return;
      }
      if (value === '') {
        problems.push({ file, line, text: shown, why: `${key} without a path` });
        return;
      }
      const d: AccessDirective = { kind: directive, path: value, file, line };
      if (directive === 'include_keys') {
        if (current) current.includeKeys.push(d);
        else
          problems.push({
            file,
            line,
            text: shown,
            why: '%include_keys outside a stanza (before any SOURCE)',
          });
        return;
      }
      items.push({ kind: 'directive', directive: d });
      current = undefined;
      afterInclude = true;
      return;
    }
    if (value === '') {
      problems.push({ file, line, text: shown, why: `${key} has no value` });
      return;
    }
    if (key === 'SOURCE') {
      current = { file, line, source: value, entries: [], includeKeys: [] };
      items.push({ kind: 'stanza', stanza: current });
      afterInclude = false;
      return;
    }
    if (!current) {
      problems.push({
        file,
        line,
        text: isSecretVariable(key) ? `${key} (set)` : shown,
        why: afterInclude
          ? 'after an %include and before the next SOURCE: not part of a stanza'
          : 'before the first SOURCE: fwknopd ignores it',
      });
      return;
    }
    current.entries.push({ key, value, file, line });
  });
  return { file, items, problems };
}

export function parseKeysFile(
  text: string,
  file: string,
): { entries: AccessEntry[]; problems: AccessProblem[] } {
  const entries: AccessEntry[] = [];
  const problems: AccessProblem[] = [];
  text.split('\n').forEach((raw, i) => {
    const parsed = splitLine(raw);
    if (parsed === 'blank') return;
    const line = i + 1;
    if (isKeyFileVariable(parsed.key) && parsed.value !== '') {
      entries.push({ key: parsed.key, value: parsed.value, file, line });
    } else {
      problems.push({
        file,
        line,
        text: isSecretVariable(parsed.key) ? `${parsed.key} (set)` : raw.trim(),
        why: `an %include_keys file holds only ${KEY_FILE_VARIABLES.join(', ')}`,
      });
    }
  });
  return { entries, problems };
}
