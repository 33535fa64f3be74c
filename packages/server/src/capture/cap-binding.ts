// The libpcap binding `cap` 0.2.1 as spa carries it: patched at its source (patches/ at the
// repository root, pnpm patchedDependencies; docs/capture.md says what each change is for).
// This file is the one place that loads it and states the part of its API spa uses.

import { createRequire } from 'node:module';
import { CaptureError } from './errors.js';

/** Options of the patched open(); upstream's four arguments come first. */
export interface CapOpenOptions {
  /** Bytes captured per frame (upstream: always 65535). */
  snaplen?: number;
  /** Upstream: always promiscuous. */
  promiscuous?: boolean;
  /** Frames handled per readable event before the event loop runs again (upstream: no limit). */
  maxPerDispatch?: number;
  /** Frame records (3 × uint32 each): one 'packets' event per dispatch instead of 'packet'. */
  batch?: Buffer;
}

/** The part of cap's native Cap object that spa uses. */
export interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer, options?: CapOpenOptions): string;
  setFilter(filter: string): void;
  close(): boolean;
  send(frame: Buffer): void;
  on(event: 'packets', listener: (count: number) => void): unknown;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): unknown;
  removeAllListeners(event?: string): unknown;
}
export type CapConstructor = new () => CapHandle;

/** uint32 fields per frame record in batch mode: offset, bytes copied, length on the wire. */
export const CAP_RECORD_FIELDS = 3;

let capConstructor: CapConstructor | undefined;

export function loadCap(): CapConstructor {
  if (capConstructor === undefined) {
    try {
      const require = createRequire(import.meta.url);
      const Cap = (require('cap') as { Cap: CapConstructor }).Cap;
      if (typeof Cap.prototype.setFilter !== 'function') throw new Error('cap is not the patched build');
      capConstructor = Cap;
    } catch (err) {
      throw new CaptureError(
        'capture-open',
        'the libpcap binding `cap` (patched, see docs/capture.md) could not be loaded',
        'install libpcap-dev and run `node scripts/setup.mjs` (pnpm install applies patches/cap@0.2.1.patch and builds it with npm_config_nodedir=/usr)',
        { cause: err },
      );
    }
  }
  return capConstructor;
}
