/**
 * The replay store: one-time ids of accepted knocks and burned one-time sequences, kept
 * while they could still work (inside the time window) and persisted so that neither a
 * restart nor `kill -9` lets an accepted packet work again.
 *
 * - `record`/`burn` append one line with a synchronous write(2) and return only after it;
 *   the caller issues the grant afterwards. Data handed to the kernel survives the death of
 *   the process (`kill -9`, a crash, OOM) because it sits in the page cache.
 * - Power loss: the page cache is lost too, so every record is also pushed to the disk with
 *   fdatasync(2). By default (`sync: 'deferred'`) that runs on libuv's thread pool right after
 *   the write, coalesced, and the grant does not wait for it: a synchronous fdatasync costs
 *   0.25-1.3 ms here (ext4 on a virtual disk) with spikes of 3-6 ms, which was most of a
 *   knock's latency. The gap this leaves: a power loss within the milliseconds between the
 *   write and the sync, followed by a reboot within the time window (±30 s), could let a knock
 *   accepted in those milliseconds work once more. `sync: 'data'` closes it at the cost above;
 *   `sync: 'none'` never syncs. Records are written only for authenticated, fresh knocks (a
 *   forged or replayed packet never reaches the disk), so a flood cannot make the server sync.
 * - At open the file is read (entries still inside the window are kept, corrupt lines and a
 *   torn tail are skipped) and compacted at once: live entries are written to a temporary
 *   file, synced, renamed over the log and the directory synced. `compactIfWorthIt` does the
 *   same later when the log holds many dead records.
 * - Memory is bounded by the window: knock ids through `ReplayWindow` (with its capacity),
 *   burned sequences until their expiry.
 */
import {
  closeSync,
  constants,
  fdatasync,
  fdatasyncSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { type ReplayVerdict, ReplayWindow, type TimeWindow } from '@spa/shared';
import { knockLine, parseRecords, REPLAY_FILE, REPLAY_HEADER, sequenceLine } from './record.js';

export interface ReplayStoreOptions {
  /** After each record: fdatasync in the background (default), before returning, or never. */
  readonly sync?: 'deferred' | 'data' | 'none';
  /** Hard cap on remembered knock ids (ReplayWindow capacity). Default 1,000,000. */
  readonly capacity?: number;
}

export interface ReplayLoadStats {
  readonly knocks: number;
  readonly sequences: number;
  /** Lines that were not whole records. */
  readonly skipped: number;
  /** Records already out of the window. */
  readonly expired: number;
}

/** Dead records in the log before `compactIfWorthIt` rewrites it (and at least the live count). */
const COMPACT_MIN_DEAD = 1024;

export class ReplayStore {
  readonly path: string;
  readonly #dir: string;
  readonly #sync: 'deferred' | 'data' | 'none';
  /** deferred mode: a background fdatasync is running / another is needed after it. */
  #syncing = false;
  #dirty = false;
  readonly #knocks: ReplayWindow;
  /** burned sequence id → expiry (ms). */
  readonly #burned = new Map<string, number>();
  #fd: number | undefined;
  /** Records in the file now, live or dead. */
  #fileRecords = 0;
  #loaded: ReplayLoadStats = { knocks: 0, sequences: 0, skipped: 0, expired: 0 };

  private constructor(dir: string, window: TimeWindow, options: ReplayStoreOptions) {
    this.#dir = dir;
    this.path = join(dir, REPLAY_FILE);
    this.#sync = options.sync ?? 'deferred';
    this.#knocks = new ReplayWindow(window, options.capacity);
  }

  /** Open (creating the directory and file if needed), load live entries and compact. */
  static open(dir: string, window: TimeWindow, nowMs: number, options: ReplayStoreOptions = {}): ReplayStore {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const store = new ReplayStore(dir, window, options);
    let text = '';
    try {
      text = readNoFollow(store.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ELOOP')
        throw new Error(
          `replay store ${store.path} is a symlink: refusing to follow it (remove it: rm ${store.path})`,
        );
      if (code !== 'ENOENT') throw err;
    }
    const { records, skipped } = parseRecords(text);
    let knocks = 0;
    let sequences = 0;
    let expired = 0;
    const oldest = nowMs - window.maxPastMs;
    for (const r of records) {
      if (r.kind === 'knock') {
        if (r.timestampMs < oldest) expired++;
        else {
          store.#knocks.remember(r.id, r.timestampMs);
          knocks++;
        }
      } else if (r.expiresAtMs <= nowMs) expired++;
      else {
        store.#burned.set(r.id, Math.max(r.expiresAtMs, store.#burned.get(r.id) ?? 0));
        sequences++;
      }
    }
    store.#loaded = { knocks, sequences, skipped, expired };
    store.compact(nowMs);
    return store;
  }

  /** What `open` found in the log. */
  get loaded(): ReplayLoadStats {
    return this.#loaded;
  }

  get size(): number {
    return this.#knocks.size + this.#burned.size;
  }

  /** Would this knock be fresh (time window, not seen, room left)? Remembers nothing. */
  check(idHex: string, timestampMs: number, nowMs: number): ReplayVerdict {
    return this.#knocks.check(idHex, timestampMs, nowMs);
  }

  /** Persist an accepted knock's id, then remember it. Throws if the write fails: grant nothing then. */
  record(idHex: string, timestampMs: number): void {
    this.#append(knockLine(idHex, timestampMs));
    this.#knocks.remember(idHex, timestampMs);
  }

  isBurned(sequenceId: string): boolean {
    return this.#burned.has(sequenceId);
  }

  /** Persist a completed sequence's id until `expiresAtMs`, then remember it. Throws on a failed write. */
  burn(sequenceId: string, expiresAtMs: number): void {
    this.#append(sequenceLine(sequenceId, expiresAtMs));
    this.#burned.set(sequenceId, expiresAtMs);
  }

  /** Forget entries that can no longer work; returns how many were dropped. */
  prune(nowMs: number): number {
    let n = this.#knocks.prune(nowMs);
    for (const [id, expiresAtMs] of this.#burned) {
      if (expiresAtMs <= nowMs) {
        this.#burned.delete(id);
        n++;
      }
    }
    return n;
  }

  /** Prune, and rewrite the log when most of it is dead. Returns true if it compacted. */
  compactIfWorthIt(nowMs: number): boolean {
    this.prune(nowMs);
    const dead = this.#fileRecords - this.size;
    if (dead < COMPACT_MIN_DEAD || dead < this.size) return false;
    this.compact(nowMs);
    return true;
  }

  /** Rewrite the log with the live entries only: temp file, fsync, rename, fsync the directory. */
  compact(nowMs: number): void {
    this.prune(nowMs);
    const lines = [REPLAY_HEADER];
    for (const [id, ts] of this.#knocks.entries()) lines.push(knockLine(id, ts));
    for (const [id, exp] of this.#burned) lines.push(sequenceLine(id, exp));
    const tmp = `${this.path}.tmp`;
    // A new file, never through a symlink: unlink what is there (a crash's leftover, or a
    // planted link: unlink removes the link, not its target), then O_EXCL|O_NOFOLLOW.
    rmSync(tmp, { force: true });
    const fd = openSync(tmp, NEW_FILE, 0o600);
    try {
      writeAll(fd, lines.join(''));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    syncDirectory(this.#dir);
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = openSync(this.path, APPEND, 0o600);
    this.#fileRecords = lines.length - 1;
  }

  /** Flush and close the log. Later records throw. */
  close(): void {
    if (this.#fd === undefined) return;
    fsyncSync(this.#fd);
    closeSync(this.#fd);
    this.#fd = undefined;
  }

  #append(line: string): void {
    if (this.#fd === undefined) throw new Error('replay store is closed');
    writeAll(this.#fd, line);
    if (this.#sync === 'data') fdatasyncSync(this.#fd);
    else if (this.#sync === 'deferred') this.#syncSoon();
    this.#fileRecords++;
  }

  /** One background fdatasync at a time; records written meanwhile get the next one. */
  #syncSoon(): void {
    this.#dirty = true;
    if (this.#syncing || this.#fd === undefined) return;
    this.#syncing = true;
    this.#dirty = false;
    fdatasync(this.#fd, () => {
      // An error here (EBADF after compaction or close swapped the fd) loses nothing:
      // compaction and close sync the file themselves.
      this.#syncing = false;
      if (this.#dirty) this.#syncSoon();
    });
  }
}

const NEW_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
/** The log just renamed into place by compact(): appended to, never through a symlink. */
const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW;

/** The whole file, opened with O_NOFOLLOW (a symlink fails with ELOOP). */
function readNoFollow(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return readFileSync(fd, 'latin1');
  } finally {
    closeSync(fd);
  }
}

/** write(2) until every byte is out (a short write is rare on a regular file, but legal). */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'latin1');
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
