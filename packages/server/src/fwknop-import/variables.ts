/**
 * Every variable fwknopd knows in access.conf (fwknopd(8) "ACCESS.CONF VARIABLES"), listed
 * once, with what the import needs to know of it. A variable with `why` never carries into spa
 * (the leftovers part of the plan says so); the others are read by one part of the plan
 * (plan-*.ts). REQUIRE_SOURCE is fwknopd's synonym of REQUIRE_SOURCE_ADDRESS. Any other name
 * is reported as unknown.
 */

interface Variable {
  /** Its value is a secret: never printed. */
  readonly secret?: true;
  /** Allowed in an `%include_keys` file. */
  readonly keyFile?: true;
  /** Variables that set the same thing: fwknopd keeps the last line of the group. */
  readonly group?: 'key' | 'hmac' | 'expire' | 'require-source';
  /** Why spa does not carry it. */
  readonly why?: string;
}

export const NAT_WHY = 'NAT is not supported: spa only opens ports on this host';
const CMD_WHY = 'spa refuses command requests (and logs them); it never runs commands';
const DESTINATION_WHY =
  'spa does not match the destination address; it takes packets on the [server] interfaces';

const VARIABLES = {
  SOURCE: {},
  DESTINATION: { why: DESTINATION_WHY },
  OPEN_PORTS: {},
  RESTRICT_PORTS: {},
  KEY: { secret: true, keyFile: true, group: 'key' },
  KEY_BASE64: { secret: true, keyFile: true, group: 'key' },
  HMAC_KEY: { secret: true, keyFile: true, group: 'hmac' },
  HMAC_KEY_BASE64: { secret: true, keyFile: true, group: 'hmac' },
  HMAC_DIGEST_TYPE: {},
  ENCRYPTION_MODE: {},
  FW_ACCESS_TIMEOUT: {},
  MAX_FW_TIMEOUT: {},
  ACCESS_EXPIRE: { group: 'expire' },
  ACCESS_EXPIRE_EPOCH: { group: 'expire' },
  ENABLE_CMD_EXEC: { why: CMD_WHY },
  ENABLE_CMD_SUDO_EXEC: { why: CMD_WHY },
  CMD_EXEC_USER: { why: CMD_WHY },
  CMD_EXEC_GROUP: { why: CMD_WHY },
  CMD_SUDO_EXEC_USER: { why: CMD_WHY },
  CMD_SUDO_EXEC_GROUP: { why: CMD_WHY },
  CMD_CYCLE_OPEN: { why: CMD_WHY },
  CMD_CYCLE_CLOSE: { why: CMD_WHY },
  CMD_CYCLE_TIMER: { why: CMD_WHY },
  SUDO_EXE: { why: CMD_WHY },
  REQUIRE_USERNAME: {},
  REQUIRE_SOURCE_ADDRESS: { group: 'require-source' },
  REQUIRE_SOURCE: { group: 'require-source' },
  FORCE_NAT: { why: NAT_WHY },
  FORCE_SNAT: { why: NAT_WHY },
  FORCE_MASQUERADE: { why: NAT_WHY },
  FORWARD_ALL: { why: NAT_WHY },
  DISABLE_DNAT: { why: NAT_WHY },
  GPG_HOME_DIR: {},
  GPG_EXE: {},
  GPG_DECRYPT_ID: {},
  GPG_DECRYPT_PW: { secret: true },
  GPG_ALLOW_NO_PW: {},
  GPG_REQUIRE_SIG: {},
  GPG_DISABLE_SIG: {},
  GPG_IGNORE_SIG_VERIFY_ERROR: {},
  GPG_REMOTE_ID: {},
  GPG_FINGERPRINT_ID: {},
} as const satisfies Record<string, Variable>;

export type AccessVariable = keyof typeof VARIABLES;

const known = (key: string): key is AccessVariable => Object.hasOwn(VARIABLES, key);
const info = (key: string): Variable | undefined => (known(key) ? VARIABLES[key] : undefined);

export const ACCESS_VARIABLES: readonly AccessVariable[] = Object.keys(VARIABLES) as AccessVariable[];

/** Variables whose values are secrets: never printed. */
export const SECRET_VARIABLES: readonly AccessVariable[] = ACCESS_VARIABLES.filter((v) => info(v)?.secret);

/** The variables of an `%include_keys` file: only key variables count there. */
export const KEY_FILE_VARIABLES: readonly AccessVariable[] = ACCESS_VARIABLES.filter((v) => info(v)?.keyFile);

export function isSecretVariable(key: string): boolean {
  return info(key)?.secret === true;
}

export function isKeyFileVariable(key: string): boolean {
  return info(key)?.keyFile === true;
}

/** The group a variable overrides within: itself, or its group (KEY and KEY_BASE64 …). */
export function variableGroup(key: string): string {
  return info(key)?.group ?? key;
}

/**
 * Why spa does not carry a variable; undefined if a part of the plan reads it, or if it is
 * unknown. fwknopd's command variables are a family: any CMD_* name counts as one.
 */
export function notCarriedWhy(key: string): string | undefined {
  return info(key)?.why ?? (key.startsWith('CMD_') ? CMD_WHY : undefined);
}

/** The known variable an unknown name is a mis-cased spelling of, if any. */
export function knownSpelling(key: string): AccessVariable | undefined {
  const upper = key.toUpperCase();
  return known(upper) ? upper : undefined;
}

export function isKnownVariable(key: string): key is AccessVariable {
  return known(key);
}
