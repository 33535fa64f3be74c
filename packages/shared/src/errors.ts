/**
 * Typed errors for configuration and programming mistakes. Attacker input never throws:
 * it gets a `RejectReason` (see reasons.ts). Every error has a stable `code` and a `hint`
 * that tells the user what to do.
 */
export class SpaError extends Error {
  readonly code: string;
  readonly hint: string;

  constructor(code: string, message: string, hint = '', options?: ErrorOptions) {
    super(message, options);
    this.name = 'SpaError';
    this.code = code;
    this.hint = hint;
  }
}

/** Input checks at the door, noble-style: labelled, typed. */
export function assertBytes(
  value: unknown,
  length: number | undefined,
  label: string,
): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new SpaError('bad-argument', `${label}: expected Uint8Array`);
  if (length !== undefined && value.length !== length) {
    throw new SpaError('bad-argument', `${label}: expected ${length} bytes, got ${value.length}`);
  }
}

export function assertInteger(
  value: unknown,
  min: number,
  max: number,
  label: string,
): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new SpaError(
      'bad-argument',
      `${label}: expected an integer in ${min}..${max}, got ${String(value)}`,
    );
  }
}
