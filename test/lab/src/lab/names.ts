/**
 * Naming of everything a lab creates. Namespaces are named by @spa/netns (`spal-<runId>-<host>`);
 * the lab adds the bridge:
 *
 *   spal-2hzjkq7-bridge      namespace holding only the bridge and the bridge-side veth ends
 *   p-server                 bridge-side veth end, in the bridge namespace
 */
export {
  HOST_NAME_RE,
  hostAddresses,
  hostIfname,
  IFNAMSIZ_MAX,
  IPV4_PREFIX,
  IPV4_PREFIX_LEN,
  IPV6_PREFIX,
  IPV6_PREFIX_LEN,
  NS_PREFIX as LAB_PREFIX,
  newRunId,
  nsName,
  ownerPidOf,
  type ParsedNsName,
  parseNsName,
} from '@spa/netns';

export const BRIDGE_HOST = 'bridge';
export const BRIDGE_IFNAME = 'br0';

export function bridgePortName(host: string): string {
  return `p-${host}`;
}
