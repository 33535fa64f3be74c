/** Errors thrown by the lab harness: a stable `code` and a hint for whoever reads the test log. */
export type LabErrorCode =
  | 'lab-unavailable'
  | 'ip-failed'
  | 'exec-failed'
  | 'timeout'
  | 'process-exited'
  | 'agent-failed'
  | 'bad-host'
  | 'torn-down';

export class LabError extends Error {
  readonly code: LabErrorCode;
  readonly hint: string | undefined;

  constructor(code: LabErrorCode, message: string, hint?: string) {
    super(hint ? `${message} (hint: ${hint})` : message);
    this.name = 'LabError';
    this.code = code;
    this.hint = hint;
  }
}
