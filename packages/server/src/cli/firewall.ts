/**
 * The firewall backend as the CLI sees it: the kernel is the source of truth for live
 * grants, so `status` and `revoke` ask the backend directly (no IPC with the daemon).
 * Loaded lazily so that commands which do not need it start fast.
 */

import type { ServerConfig } from '../config/types.js';
import type { Firewall } from '../firewall/index.js';
import { CliError } from './errors.js';

/** Open the configured backend, run `use`, and close it again (stop('keep') leaves the kernel as it is). */
export async function withFirewall<T>(config: ServerConfig, use: (fw: Firewall) => Promise<T>): Promise<T> {
  const { backend } = config.firewall;
  if (backend === 'command' || backend === 'dry-run') {
    throw new CliError(
      'firewall-no-state',
      `the ${backend} backend keeps its grants in the daemon's memory; this command cannot see them`,
      'look at the daemon log: journalctl -u spa-server',
    );
  }
  const { createFirewall } = await import('../firewall/index.js');
  const fw = createFirewall({ backend, table: config.firewall.table });
  let result: T;
  try {
    result = await use(fw);
  } catch (e) {
    await fw.stop('keep').catch(() => undefined); // the first error is the one to report
    throw e;
  }
  await fw.stop('keep');
  return result;
}
