/**
 * A throwaway OpenSSH server inside a lab host, for the `ssh` + `spa-client proxy` scenario:
 * its own host key, one authorized client key, its own config and pid file in a temp
 * directory, public-key logins only, logging to stderr (`-D -e`). Killed with the lab.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostRef, Lab, LabProcess } from '../lab/index.js';

export const SSHD_BIN = '/usr/sbin/sshd';

export interface Sshd {
  readonly process: LabProcess;
  /** Private key authorized for `root` on this sshd. */
  readonly clientKey: string;
  stop(): Promise<void>;
}

export async function startSshd(lab: Lab, host: HostRef, dir: string, port = 22): Promise<Sshd> {
  const base = mkdtempSync(join(dir, 'sshd-'));
  const hostKey = join(base, 'host_ed25519');
  const clientKey = join(base, 'client_ed25519');
  for (const key of [hostKey, clientKey]) {
    await lab.exec(host, ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'spa-lab', '-f', key], {
      check: true,
    });
  }
  const authorized = join(base, 'authorized_keys');
  writeFileSync(authorized, readFileSync(`${clientKey}.pub`), { mode: 0o600 });
  const config = join(base, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 0.0.0.0',
      'ListenAddress ::',
      `HostKey ${hostKey}`,
      `PidFile ${join(base, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorized}`,
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PrintMotd no',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  // sshd's privilege separation directory (systemd's RuntimeDirectory normally makes it).
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const proc = lab.spawn(host, [SSHD_BIN, '-D', '-e', '-f', config]);
  await proc.waitForLine(/Server listening on/, 10_000);
  return {
    process: proc,
    clientKey,
    async stop() {
      await proc.kill('SIGTERM', 2000);
      rmSync(base, { recursive: true, force: true });
    },
  };
}
