/** Allowed source networks: an empty list allows every address. */
import { type Cidr, cidrContains, type IpAddress } from '@spa/shared';

export function sourceAllowed(networks: readonly Cidr[], address: IpAddress): boolean {
  if (networks.length === 0) return true;
  for (const n of networks) if (cidrContains(n, address)) return true;
  return false;
}
