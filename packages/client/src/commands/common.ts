/** What every command needs: the profile file, output helpers. */

import { configPath, type ProfileFile, readProfiles } from '../profile-store.js';
import { printable, terminalJson } from '../terminal-text.js';

export interface GlobalOptions {
  readonly config?: string;
}

export function loadProfiles(opts: GlobalOptions): ProfileFile {
  return readProfiles(configPath(opts.config));
}

/** One line on stdout, control characters escaped (names and hosts come from profiles). */
export function out(line: string): void {
  process.stdout.write(`${printable(line)}\n`);
}

export function outJson(value: unknown): void {
  process.stdout.write(`${terminalJson(value)}\n`);
}
