/**
 * Admin actions the CLI performs itself (today: `revoke ADDRESS`, which acts on the firewall
 * directly; the CLI has no channel to the daemon) leave a line in the system log, where the
 * daemon's own lines are: one JSON object at info like the daemon's (level 30, time, msg, the
 * fields) and who ran it, sent with logger(1) under the tag spa-server (the daemon's
 * SYSLOG_IDENTIFIER under systemd), facility auth. So `journalctl -t spa-server` shows the
 * daemon's lines and the admin's revokes together, and rsyslog files it in auth.log.
 */
import { spawnSync } from 'node:child_process';
import { userInfo } from 'node:os';

export const AUDIT_TAG = 'spa-server';

/** Returns '' when the line was handed to syslog, else why not (for the admin's terminal). */
export type AuditFn = (msg: string, fields: Record<string, unknown>) => string;

/** Who ran it: the sudo caller when there is one, and the effective user. */
function actor(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  let user = '?';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (a container's bare uid): keep '?'
  }
  return env.SUDO_USER ? { user, sudoUser: env.SUDO_USER } : { user };
}

export function auditLine(
  msg: string,
  fields: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
  nowMs: number,
): string {
  return JSON.stringify({ level: 30, time: nowMs, msg, by: 'cli', ...actor(env), ...fields });
}

/**
 * logger(1) from util-linux (Debian: bsdutils, essential), bounded to 5 s. --socket-errors=on:
 * without a syslog socket (/dev/log: no journald, no rsyslog) it fails instead of dropping the line.
 */
export function syslogAudit(env: Readonly<Record<string, string | undefined>>): AuditFn {
  return (msg, fields) => {
    const line = auditLine(msg, fields, env, Date.now());
    const r = spawnSync(
      'logger',
      ['--tag', AUDIT_TAG, '--priority', 'auth.info', '--socket-errors=on', '--', line],
      {
        encoding: 'utf8',
        timeout: 5000,
        env: { ...env },
      },
    );
    if (r.error) return `logger: ${r.error.message}`;
    if (r.status !== 0) return `logger exited with ${r.status}: ${(r.stderr ?? '').trim()}`;
    return '';
  };
}
