/**
 * Typed errors of the capture layer: configuration, environment and programming errors only.
 * Attacker bytes never produce one of these (the parser returns `{ ok: false, reason }`).
 */
import { SpaError } from '@spa/shared';

export type CaptureErrorCode =
  /** libpcap could not open an interface or compile/attach the filter. */
  | 'capture-open'
  /** The interface's link type is one the frame parser does not understand. */
  | 'capture-link'
  /** buildFilter() was given invalid ports or ranges (a programming error). */
  | 'capture-filter-input'
  /** A PacketSource was used out of order (e.g. started twice). */
  | 'capture-state';

/** `hint`: what the operator (or developer) can do about it. */
export class CaptureError extends SpaError {
  declare readonly code: CaptureErrorCode;

  constructor(code: CaptureErrorCode, message: string, hint: string, options?: { cause?: unknown }) {
    super(code, message, hint, options);
    this.name = 'CaptureError';
  }
}
