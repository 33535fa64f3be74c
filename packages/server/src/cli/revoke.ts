/**
 * `spa-server revoke ADDRESS`: end every live grant of one address now. What was revoked is
 * printed and, as an admin action, sent to the system log (audit.ts).
 */
import { canonicalIp } from '@spa/shared';
import { loadConfig } from '../config/index.js';
import type { LiveGrant } from '../firewall/index.js';
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
  const { n, before } = await withFirewall(config, async (fw) => {
    // What it held a moment before (list() canonicalises addresses, like canonicalIp).
    const before = (await fw.list()).filter((g) => g.address === address);
    return { n: await fw.revoke(address), before };
  });
  io.out(
    n === 0 ? `no live grants for ${address}` : `revoked ${n} grant${n === 1 ? '' : 's'} for ${address}`,
  );
  for (const g of before) io.out(`  ${describe(g)}`);
  const grants = before.map((g) => ({
    protocol: g.protocol,
    port: g.port,
    ...(g.client ? { client: g.client } : {}),
    secondsLeft: g.secondsLeft,
  }));
  const why = io.audit?.('revoked', { address, revoked: n, grants, firewall: config.firewall.backend });
  if (why) io.err(`note: this revoke is not in the system log (${why})`);
  return n;
}

function describe(g: LiveGrant): string {
  return `${g.port}/${g.protocol}${g.client ? ` of ${g.client}` : ''}, ${g.secondsLeft} s left`;
}
