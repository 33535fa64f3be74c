/** What every command needs: the profile file, output helpers. */
import { configPath, type ProfileFile, readProfiles } from '../profile-store.js';

export interface GlobalOptions {
  readonly config?: string;
}

export function loadProfiles(opts: GlobalOptions): ProfileFile {
  return readProfiles(configPath(opts.config));
}

export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function outJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
