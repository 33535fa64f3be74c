/**
 * What a command may touch besides its arguments: output streams and the environment,
 * passed in so commands can be run in-process by tests.
 */
import { resolve } from 'node:path';
import { CONFIG_PATH_ENV, DEFAULT_CONFIG_PATH } from '../config/index.js';
import { type AuditFn, syslogAudit } from './audit.js';
import { protectStdoutFile } from './profile-out.js';

export interface Io {
  /** Program output (for add-client: the profile line only). */
  out(text: string): void;
  /** Messages for the person at the terminal: hints, progress, warnings. */
  err(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Before a secret goes to `out`: keep it from a file others can read (see _profile-out.ts).
   * Returns a note for `err`, or ''. Absent in tests that capture `out` in memory.
   */
  protectOut?(): string;
  /** An admin action for the system log (audit.ts). Absent in tests that run commands in-process. */
  audit?: AuditFn;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  env: process.env,
  protectOut: () => protectStdoutFile(1),
  audit: syslogAudit(process.env),
};

/** `--config FILE`, else $SPA_SERVER_CONFIG, else /etc/spa/server.toml; made absolute. */
export function configPath(option: string | undefined, io: Io): string {
  return resolve(option ?? (io.env[CONFIG_PATH_ENV] || DEFAULT_CONFIG_PATH));
}
