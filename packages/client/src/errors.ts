/**
 * Typed errors of the client. Each has a stable `code`, a message that names the cause and
 * a `hint` that says what to do. One top-level catch (cli.ts) maps them to exit codes.
 * Messages never contain keys or profile URIs.
 */
import { SpaError } from '@spa/shared';

export type ClientErrorCode =
  | 'usage' // a bad flag value or argument
  | 'no-profile' // no profile by that name, or none at all
  | 'unknown-service' // no profile offers the service
  | 'ambiguous' // several profiles offer the service
  | 'no-sequence' // the profile has no one-time sequences
  | 'sequence-spent' // knock: this step's sequence was already sent from here
  | 'exists' // import: a profile of that name exists
  | 'config' // the profile file is unreadable, corrupt or incomplete
  | 'permissions' // the profile file is readable by group or others
  | 'resolve' // the server's host name does not resolve
  | 'network' // a socket error while sending
  | 'no-answer' // the service did not open in time
  | 'command' // the command after `--` could not be started
  | 'no-agent' // two-factor profile, but no ssh-agent at $SSH_AUTH_SOCK
  | 'agent-key' // the agent does not hold the profile's SSH key (or is locked)
  | 'agent-refused'; // the agent would not sign (declined, security key not touched)

/**
 * Exit codes, stable for scripts: 2 usage, 3 profile file, 4 name resolution, 5 no answer,
 * 6 the SSH key could not sign the knock, 7 knock: this step's sequence was already sent.
 */
export const EXIT_CODES: Readonly<Record<ClientErrorCode, number>> = {
  usage: 2,
  'no-profile': 2,
  'unknown-service': 2,
  ambiguous: 2,
  'no-sequence': 2,
  'sequence-spent': 7,
  exists: 2,
  config: 3,
  permissions: 3,
  resolve: 4,
  network: 1,
  'no-answer': 5,
  command: 127,
  'no-agent': 6,
  'agent-key': 6,
  'agent-refused': 6,
};

export class ClientError extends SpaError {
  declare readonly code: ClientErrorCode;

  constructor(code: ClientErrorCode, message: string, hint = '') {
    super(code, message, hint);
    this.name = 'ClientError';
  }

  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
}

export function usage(message: string, hint = ''): ClientError {
  return new ClientError('usage', message, hint);
}
