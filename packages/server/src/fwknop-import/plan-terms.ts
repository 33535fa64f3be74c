/**
 * The parts of a stanza's plan about the terms of access: when the client expires, how long a
 * grant lasts, what each knock must carry (a literal address, a user name), and every other
 * variable (leftovers: known ones spa does not carry, unknown ones).
 */
import { DURATION_MAX_SECONDS, MAX_USERNAME_LENGTH } from '@spa/shared';
import { formatDuration } from '../config/index.js';
import type { AccessEntry } from './access-conf.js';
import { type Lookup, type Part, PartBuilder, shownValue, yes } from './part.js';
import { knownSpelling, NAT_WHY, notCarriedWhy } from './variables.js';

/** What [policy] says: it caps every grant, and is the default for require_literal_address. */
export interface PolicyContext {
  readonly policy: { readonly maxDurationSeconds: number; readonly requireLiteralAddress: boolean };
  readonly nowMs: number;
}

function isoDate(y: number, m: number, d: number): string | undefined {
  const t = Date.UTC(y, m - 1, d);
  const text = new Date(t).toISOString().slice(0, 10);
  return text === `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`
    ? text
    : undefined;
}

/** ACCESS_EXPIRE (MM/DD/YYYY) or ACCESS_EXPIRE_EPOCH → expires. */
export function planExpiry(get: Lookup, ctx: PolicyContext): Part {
  const part = new PartBuilder();
  const expire = get('ACCESS_EXPIRE') ?? get('ACCESS_EXPIRE_EPOCH');
  if (!expire) return part;
  let value: string | undefined;
  let ms = 0;
  if (expire.key === 'ACCESS_EXPIRE') {
    const m = /^([0-9]{1,2})\/([0-9]{1,2})\/([0-9]{1,4})$/.exec(expire.value);
    if (m) {
      let year = Number(m[3]);
      if (year < 100) year += 2000; // fwknopd reads a short year as 20YY
      value = isoDate(year, Number(m[1]), Number(m[2]));
      ms = value ? Date.parse(`${value}T00:00:00Z`) : 0;
    }
  } else {
    const s = /^[0-9]{1,11}$/.test(expire.value) ? Number(expire.value) : undefined;
    if (s !== undefined) {
      ms = s * 1000;
      value = new Date(ms).toISOString().replace('.000Z', 'Z');
    }
  }
  if (value === undefined) {
    part.refuse(
      `${expire.key} "${shownValue(expire.key, expire.value)}" is not a ${expire.key === 'ACCESS_EXPIRE' ? 'MM/DD/YYYY date' : 'number of seconds since 1970'}`,
      'fix the date (fwknopd refuses it too), or remove it',
    );
    return part;
  }
  part.table.expires = value;
  const past = ms <= ctx.nowMs ? '; already past: the client is refused until you change it' : '';
  const zone = expire.key === 'ACCESS_EXPIRE' ? " (00:00 UTC; fwknopd used the server's local time)" : '';
  part.carry(`${expire.key} ${expire.value}`, `expires = ${value}${zone}${past}`);
  return part;
}

function seconds(value: string): number | undefined {
  return /^[0-9]{1,9}$/.test(value) ? Number(value) : undefined;
}

const inRange = (s: number | undefined): s is number =>
  s !== undefined && s >= 1 && s <= DURATION_MAX_SECONDS;

/** MAX_FW_TIMEOUT → max_duration, FW_ACCESS_TIMEOUT → default_duration (within the caps). */
export function planTimeouts(get: Lookup, ctx: PolicyContext): Part {
  const part = new PartBuilder();
  const timeout = get('FW_ACCESS_TIMEOUT');
  const maxTimeout = get('MAX_FW_TIMEOUT');
  const tSec = timeout ? seconds(timeout.value) : undefined;
  const mSec = maxTimeout ? seconds(maxTimeout.value) : undefined;
  const policyMax = ctx.policy.maxDurationSeconds;
  if (maxTimeout) {
    if (inRange(mSec)) {
      const text = formatDuration(mSec * 1000);
      part.table.max_duration = text;
      const capped =
        mSec > policyMax
          ? ` (grants are still capped by [policy] max_duration ${formatDuration(policyMax * 1000)})`
          : '';
      part.carry(`MAX_FW_TIMEOUT ${maxTimeout.value}`, `max_duration = "${text}"${capped}`);
    } else {
      part.skip(
        maxTimeout,
        `not a number of seconds from 1 to ${DURATION_MAX_SECONDS}; [policy] max_duration applies`,
      );
    }
  }
  if (timeout) {
    const cap = Math.min(inRange(mSec) ? mSec : policyMax, policyMax);
    if (!inRange(tSec)) {
      part.skip(
        timeout,
        `not a number of seconds from 1 to ${DURATION_MAX_SECONDS}; [policy] default_duration applies`,
      );
    } else if (tSec > cap) {
      part.skip(
        timeout,
        `longer than the longest grant here (${cap}s: MAX_FW_TIMEOUT and [policy] max_duration); [policy] default_duration applies`,
      );
    } else {
      const text = formatDuration(tSec * 1000);
      part.table.default_duration = text;
      part.carry(`FW_ACCESS_TIMEOUT ${timeout.value}`, `default_duration = "${text}"`);
    }
  }
  return part;
}

/** Why an imported client must name its address unless its stanza says otherwise (docs/fwknop.md). */
export const LITERAL_BY_DEFAULT_WHY =
  'fwknop packets are not bound to a server, so a packet sent to another server with the same keys ' +
  'could be replayed here; with a literal address (fwknop -a ADDRESS, not -s/-R) a replay opens ' +
  'only the address the client named. Set REQUIRE_SOURCE_ADDRESS N in the stanza to allow source mode';

/** REQUIRE_SOURCE_ADDRESS → require_literal_address; REQUIRE_USERNAME → require_username. */
export function planRequirements(
  get: Lookup,
  ctx: PolicyContext,
): Part & { readonly user: string | undefined } {
  const part = new PartBuilder();
  const requireSource = get('REQUIRE_SOURCE_ADDRESS') ?? get('REQUIRE_SOURCE');
  if (requireSource && yes(requireSource.value)) {
    part.table.require_literal_address = true;
    part.carry(`${requireSource.key} ${requireSource.value}`, 'require_literal_address = true');
  } else if (requireSource) {
    // Writing false would loosen a stricter [policy]; leaving it out inherits [policy].
    part.carry(
      `${requireSource.key} ${requireSource.value}`,
      `(not written: [policy] require_literal_address applies, now ${ctx.policy.requireLiteralAddress})`,
    );
  } else {
    // fwknop packets name no server: one sniffed on its way to another server that shares
    // these keys can be replayed here, and in source mode (fwknop -s / -R) it would open for
    // whoever replays it. A literal address opens only the address the client put in the
    // packet. The stanza can keep source mode with REQUIRE_SOURCE_ADDRESS N.
    part.table.require_literal_address = true;
    part.carry(
      '(REQUIRE_SOURCE_ADDRESS not set)',
      `require_literal_address = true: ${LITERAL_BY_DEFAULT_WHY}`,
    );
  }
  const rawUser = get('REQUIRE_USERNAME');
  const user = rawUser && rawUser.value.length <= MAX_USERNAME_LENGTH ? rawUser : undefined;
  if (rawUser && !user) part.skip(rawUser, `longer than ${MAX_USERNAME_LENGTH} characters (spa's limit)`);
  if (user) {
    part.table.require_username = user.value;
    part.carry(
      `REQUIRE_USERNAME ${shownValue('REQUIRE_USERNAME', user.value)}`,
      `require_username = ${JSON.stringify(user.value)}`,
    );
  }
  return Object.assign(part, { user: user?.value });
}

/**
 * Every variable no other part reads: NAT that would open this host's ports where fwknopd
 * forwarded refuses the stanza; other known variables say why they do not carry (variables.ts);
 * unknown ones are reported (fwknopd ignores them too).
 */
export function planLeftovers(effective: readonly AccessEntry[]): Part {
  const part = new PartBuilder();
  for (const e of effective) {
    if (e.key.startsWith('GPG_')) continue; // the keys part: GPG never carries
    if (e.key === 'FORCE_NAT' || (e.key === 'FORWARD_ALL' && yes(e.value))) {
      // Importing would open this host's port where fwknopd forwarded to another one.
      part.refuse(
        `${e.key} ${shownValue(e.key, e.value)}: ${NAT_WHY}; importing would open this host's ports instead`,
        "leave this client on fwknopd, or remove the NAT settings if opening this host's ports is what you want",
      );
      continue;
    }
    const why = notCarriedWhy(e.key);
    if (why !== undefined) {
      part.skip(e, why);
      continue;
    }
    if (knownSpelling(e.key) === e.key) continue; // read by another part
    const near = knownSpelling(e.key);
    part.skip(
      e,
      near
        ? `unknown variable (fwknopd matches names exactly; did you mean ${near}?)`
        : 'unknown variable: fwknopd ignores it too; check the spelling',
    );
  }
  return part;
}
