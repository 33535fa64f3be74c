/** `spa-server revoke ADDRESS`: end every live grant of one address now. */
import { canonicalIp } from '@spa/shared';
import { loadConfig } from '../config/index.js';
import { UsageError } from './errors.js';
import { withFirewall } from './firewall.js';
import type { Io } from './io.js';

export async function revokeAddress(opts: { configPath: string; address: string }, io: Io): Promise<number> {
  const address = canonicalIp(opts.address.trim());
  if (!address)
    throw new UsageError(
      `"${opts.address}" is not an IPv4 or IPv6 address`,
      'e.g. spa-server revoke 192.0.2.10',
    );
  const config = loadConfig(opts.configPath);
  const n = await withFirewall(config, (fw) => fw.revoke(address));
  io.out(
    n === 0 ? `no live grants for ${address}` : `revoked ${n} grant${n === 1 ? '' : 's'} for ${address}`,
  );
  return n;
}
