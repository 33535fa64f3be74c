// Typed errors of the capture layer: configuration, environment and programming errors only.
// Attacker bytes never produce one of these (the parser returns `{ ok: false, reason }`).

export type CaptureErrorCode =
  /** libpcap could not open an interface or compile/attach the filter. */
  | 'capture-open'
  /** The interface's link type is one the frame parser does not understand. */
  | 'capture-link'
  /** buildFilter() was given invalid ports or ranges (a programming error). */
  | 'capture-filter-input'
  /** A PacketSource was used out of order (e.g. started twice). */
  | 'capture-state';

export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  readonly code: CaptureErrorCode;
  /** What the operator (or developer) can do about it. */
  readonly hint: string;

  constructor(code: CaptureErrorCode, message: string, hint: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.hint = hint;
  }
}
