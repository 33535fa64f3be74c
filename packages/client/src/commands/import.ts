/** `spa-client import URI [--name NAME] [--force]`; URI `-` reads it from stdin. */
import { readFileSync } from 'node:fs';
import { formatProfileLine } from '../list-format.js';
import { configPath, importProfile } from '../profile-store.js';
import { type GlobalOptions, out, outJson } from './common.js';

export interface ImportOptions extends GlobalOptions {
  readonly name?: string;
  readonly force?: boolean;
  readonly json?: boolean;
}

export async function run(uri: string, opts: ImportOptions): Promise<number> {
  const text = uri === '-' ? readFileSync(0, 'utf8') : uri;
  const path = configPath(opts.config);
  const stored = importProfile(path, text, {
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    force: opts.force ?? false,
  });
  if (opts.json) outJson({ ok: true, name: stored.name, path });
  else out(`imported ${formatProfileLine(stored)}\n  into ${path}`);
  return 0;
}
