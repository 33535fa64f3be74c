/** access.conf texts and a plan context for the import tests. */
import type { PlanContext } from '../../src/fwknop-import/plan.js';

/** Keys in the form `fwknop --key-gen` prints them (32-byte Rijndael, 64-byte HMAC). */
export const KEY_A = Buffer.alloc(32, 0xa1).toString('base64');
export const HMAC_A = Buffer.alloc(64, 0xa2).toString('base64');
export const KEY_B = Buffer.alloc(32, 0xb1).toString('base64');
export const HMAC_B = Buffer.alloc(64, 0xb2).toString('base64');
export const KEY_C = Buffer.alloc(32, 0xc1).toString('base64');
export const HMAC_C = Buffer.alloc(64, 0xc2).toString('base64');

export const NOW = Date.UTC(2026, 10, 27);

/** Three stanzas as an admin would write them: a user, a subnet with two ports, and ANY. */
export const THREE = `# fwknopd access control
# most specific SOURCE first

SOURCE              198.51.100.7
KEY_BASE64          ${KEY_A}
HMAC_KEY_BASE64     ${HMAC_A}
OPEN_PORTS          tcp/22
REQUIRE_USERNAME    alice
FW_ACCESS_TIMEOUT   60
REQUIRE_SOURCE_ADDRESS Y

SOURCE: 192.0.2.0/24, 203.0.113.9
KEY_BASE64          ${KEY_B}
HMAC_KEY_BASE64     ${HMAC_B}
HMAC_DIGEST_TYPE    SHA512
OPEN_PORTS          tcp/22, udp/1194 ; vpn too
ACCESS_EXPIRE       01/31/2027
MAX_FW_TIMEOUT      600

SOURCE              ANY
KEY                 a passphrase
HMAC_KEY            another passphrase
OPEN_PORTS          tcp/8443
ACCESS_EXPIRE_EPOCH 1830000000
ENABLE_CMD_EXEC     Y
CMD_EXEC_USER       nobody
`;

export function context(over: Partial<PlanContext> = {}): PlanContext {
  return {
    services: new Map([
      ['ssh', { port: 22, protocol: 'tcp' as const }],
      ['https', { port: 443, protocol: 'tcp' as const }],
    ]),
    clientNames: new Set(['bob']),
    fwknopClients: [],
    reservedPorts: [{ range: [40000, 49999], what: "spa's knock ports 40000-49999" }],
    policy: { maxDurationSeconds: 300, requireLiteralAddress: false },
    nowMs: NOW,
    ...over,
  };
}
