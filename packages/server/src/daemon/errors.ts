/** Daemon errors (not attacker input): a stable code and a hint for the operator. */
import { SpaError } from '@spa/shared';

export type DaemonErrorCode =
  | 'already-running'
  | 'state-dir'
  | 'state-dir-unsafe'
  | 'start-failed'
  | 'not-running'
  | 'bad-pid-file'
  | 'signal-failed';

export class DaemonError extends SpaError {
  constructor(code: DaemonErrorCode, message: string, hint = '') {
    super(code, message, hint);
    this.name = 'DaemonError';
  }
}
