/**
 * CLI errors and the one place that turns any error into a message and an exit code:
 *   0 ok · 1 runtime failure · 2 configuration error · 64 usage error (EX_USAGE)
 * Known errors (anything with a string `code` and `hint`: ConfigError, SpaError,
 * FirewallError, DaemonError, CliError) print `Name: message` and a hint, never a stack.
 */
import { SpaError } from '@spa/shared';
import { CommanderError } from 'commander';
import { ConfigError } from '../config/index.js';

export const EXIT = { ok: 0, runtime: 1, config: 2, usage: 64 } as const;

export class CliError extends SpaError {
  readonly exitCode: number;

  constructor(code: string, message: string, hint = '', exitCode: number = EXIT.runtime) {
    super(code, message, hint);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Bad flags or arguments: exit 64. */
export class UsageError extends CliError {
  constructor(message: string, hint = '') {
    super('usage', message, hint, EXIT.usage);
    this.name = 'UsageError';
  }
}

interface KnownError {
  name: string;
  message: string;
  code: string;
  hint: string;
}

function isKnown(e: unknown): e is KnownError {
  return (
    e instanceof Error &&
    typeof (e as Partial<KnownError>).code === 'string' &&
    typeof (e as Partial<KnownError>).hint === 'string'
  );
}

export function exitCodeOf(e: unknown): number {
  if (e instanceof CliError) return e.exitCode;
  if (e instanceof ConfigError) return EXIT.config;
  if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  return EXIT.runtime;
}

/** Lines to print on stderr for an error ('' for commander's, which printed its own). */
export function describeError(e: unknown): string {
  if (e instanceof CommanderError) return '';
  if (isKnown(e)) {
    const hint = e.hint && !e.message.includes(e.hint) ? `\n  hint: ${e.hint}` : '';
    return `${e.name}: ${e.message}${hint}`;
  }
  // A bug: the stack is what is needed to fix it.
  return `spa-server: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
}
