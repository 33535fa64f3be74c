/**
 * Configuration errors: every one names the file, the key and the problem, and says how
 * to fix it, e.g.
 *
 *   /etc/spa/server.toml: clients.alice.services[1]: unknown service "rdp" (define it under [services] or remove it)
 *
 * The message already carries the hint in parentheses, so printing `ConfigError: <message>`
 * is the whole story.
 */
import { SpaError } from '@spa/shared';

/**
 * Stable codes:
 * - `config-missing`     the file does not exist (run `spa-server init`)
 * - `config-unreadable`  it exists but cannot be read (permissions of this process)
 * - `config-permissions` group or others may read or write it (chmod 600)
 * - `config-owner`       owned by someone other than root or the current user
 * - `config-syntax`      not valid TOML
 * - `config-invalid`     valid TOML, but a value is wrong or missing
 * - `config-exists`      `init` would overwrite an existing file
 * - `config-write`       writing the file failed
 */
export type ConfigErrorCode =
  | 'config-missing'
  | 'config-unreadable'
  | 'config-permissions'
  | 'config-owner'
  | 'config-syntax'
  | 'config-invalid'
  | 'config-exists'
  | 'config-write';

export class ConfigError extends SpaError {
  /** The file the problem is in. */
  readonly file: string;
  /** Dotted key path (`clients.alice.services[1]`), or '' for the file as a whole. */
  readonly key: string;
  /** The problem alone, without file, key or hint. */
  readonly problem: string;

  constructor(code: ConfigErrorCode, file: string, key: string, problem: string, hint = '') {
    super(code, `${file}: ${key ? `${key}: ` : ''}${problem}${hint ? ` (${hint})` : ''}`, hint);
    this.name = 'ConfigError';
    this.file = file;
    this.key = key;
    this.problem = problem;
  }
}

export function isConfigError(e: unknown): e is ConfigError {
  return e instanceof ConfigError;
}
