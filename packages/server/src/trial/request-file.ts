/**
 * The trial request, the one message from `spa-server reload --trial` to the running daemon:
 * the command writes `state_dir/reload-trial.json` (`{"seconds": 120}`, mode 0600) and then
 * sends SIGHUP; on that reload the daemon takes it (reads and deletes it); at start it deletes
 * a stale one. Both sides use this module, so the file's name and format are spelled once.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { readNoFollow, writeNewFile } from '../replay/index.js';
import { checkTrialSeconds } from './trial.js';

export const TRIAL_REQUEST_FILE = 'reload-trial.json';

export function trialRequestPath(stateDir: string): string {
  return join(stateDir, TRIAL_REQUEST_FILE);
}

/** The content of TRIAL_REQUEST_FILE. */
export function formatTrialRequest(seconds: number): string {
  return `${JSON.stringify({ seconds: checkTrialSeconds(seconds) })}\n`;
}

/** Parses TRIAL_REQUEST_FILE; undefined if it is not a valid request. */
export function parseTrialRequest(text: string): number | undefined {
  try {
    const seconds = (JSON.parse(text) as { seconds?: unknown }).seconds;
    return typeof seconds === 'number' ? checkTrialSeconds(seconds) : undefined;
  } catch {
    return undefined;
  }
}

/** `reload --trial`: asks the daemon's next reload to put its newly guarded ports on trial. */
export function writeTrialRequest(stateDir: string, seconds: number): void {
  // Unlink + O_EXCL|O_NOFOLLOW: never written through a symlink planted in the state dir.
  writeNewFile(trialRequestPath(stateDir), formatTrialRequest(seconds));
}

export function removeTrialRequest(stateDir: string): void {
  rmSync(trialRequestPath(stateDir), { force: true });
}

/**
 * Reads and deletes the request, if there is one: undefined = none; `seconds` undefined = a
 * malformed request (deleted too, so it cannot affect a later reload).
 */
export function takeTrialRequest(
  stateDir: string,
): { file: string; seconds: number | undefined } | undefined {
  const file = trialRequestPath(stateDir);
  let text: string | undefined;
  try {
    text = readNoFollow(file); // a planted symlink (ELOOP) is no request
  } catch {
    text = undefined;
  }
  rmSync(file, { force: true });
  if (text === undefined) return undefined;
  return { file, seconds: parseTrialRequest(text) };
}
