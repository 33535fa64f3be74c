/**
 * @spa/shared — the spa protocol core. Pure functions over Uint8Array: time, randomness
 * and keys are always parameters. No I/O. See docs/protocol.md.
 */
export * from './address.js';
export * from './bytes.js';
export * from './duration.js';
export * from './errors.js';
export * from './fwknop/index.js';
export * from './keys.js';
export * from './knock-port.js';
export * from './knock-signature.js';
export * from './lookup.js';
export * from './lookup-table.js';
export * from './packet.js';
export * from './payload.js';
export * from './profile.js';
export * from './reasons.js';
export * from './replay-window.js';
export * from './sequence.js';
export * from './sequence-progress.js';
export * from './signature-block.js';
export * from './ssh-key.js';
export * from './step.js';
export * from './verify.js';
export * from './wire.js';
