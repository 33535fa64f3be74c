/**
 * The knock sequences this machine already sent. The server accepts a step's sequence once;
 * sending it again in the same step does nothing, and if the port still answers from the first
 * time the client would wrongly report the second knock as the cause. So `knock` remembers
 * what it sent (server id, client, service, step — no key material), and refuses to send it
 * again while the server could still accept it (to the end of step T+1).
 *
 * Stored as JSON in the client's state directory: $SPA_CLIENT_STATE_DIR, else
 * $XDG_STATE_HOME/spa, else ~/.local/state/spa (directory 0700, file 0600, atomic rename).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface SentSequence {
  /** `serverIdHex/client/service/step`. */
  readonly key: string;
  /** When it was sent, ms since the epoch. */
  readonly sentAtMs: number;
  /** After this the server no longer accepts it: forget it. */
  readonly expiresAtMs: number;
}

export interface SentSequences {
  /** The earlier send of `key`, if it is still one the server could accept. */
  find(key: string, nowMs: number): SentSequence | undefined;
  /** Remember a send (before the knocks leave: a crash mid-send still counts). */
  add(entry: SentSequence, nowMs: number): void;
}

export const SENT_FILE = 'sent-sequences.json';

export function stateDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  if (env.SPA_CLIENT_STATE_DIR) return env.SPA_CLIENT_STATE_DIR;
  return join(env.XDG_STATE_HOME || join(home, '.local', 'state'), 'spa');
}

/** The file-backed store. An unreadable or corrupt file counts as empty (it is only a guard). */
export function fileSentSequences(dir: string = stateDir()): SentSequences {
  const file = join(dir, SENT_FILE);
  const read = (): SentSequence[] => {
    try {
      const data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      return Array.isArray(data)
        ? data.filter(
            (e): e is SentSequence =>
              typeof e?.key === 'string' &&
              typeof e?.sentAtMs === 'number' &&
              typeof e?.expiresAtMs === 'number',
          )
        : [];
    } catch {
      return [];
    }
  };
  return {
    find: (key, nowMs) => read().find((e) => e.key === key && e.expiresAtMs > nowMs),
    add(entry, nowMs) {
      const kept = read().filter((e) => e.expiresAtMs > nowMs && e.key !== entry.key);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const tmp = join(dir, `.${SENT_FILE}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      const fd = openSync(tmp, 'wx', 0o600);
      try {
        writeSync(fd, `${JSON.stringify([...kept, entry])}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file);
    },
  };
}

/** In memory, for tests. */
export function memorySentSequences(): SentSequences & { entries: SentSequence[] } {
  const entries: SentSequence[] = [];
  return {
    entries,
    find: (key, nowMs) => entries.find((e) => e.key === key && e.expiresAtMs > nowMs),
    add(entry) {
      entries.push(entry);
    },
  };
}
