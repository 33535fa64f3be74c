/**
 * nft command text for the nftables backend, and parsing of `nft -j list set`. Pure functions:
 * every value here has passed `check.ts`, so it is an address, a number, tcp/udp or a
 * checked identifier, and cannot change the shape of a command.
 */
import type { CheckedGrant } from './check.js';
import type { GuardedPort, GuardState, L4, LiveGrant } from './firewall.js';

export const MARKER_PREFIX = 'spa-sync-';

/** Set holding the grants of one address family. */
export function grantSet(family: 4 | 6): string {
  return family === 4 ? 'grants4' : 'grants6';
}

const GUARDED_SET = 'type inet_proto . inet_service; flags timeout;';

/**
 * The guard, as one atomic `nft -f -` batch. `add` is a no-op for what exists, so the grant
 * sets (and their live elements) survive; the guarded set and the chain are rebuilt. The chain
 * is deleted and re-added so that a changed priority takes effect (a base chain's hook cannot
 * be changed in place). Nothing outside `table inet <table>` is touched.
 *
 * The guarded set has `flags timeout`: a trial port's element (`tcp . 22 timeout 130s`)
 * expires in the kernel even if the daemon dies; an element without a timeout never expires
 * (nftables: no set default timeout). `legacyGuarded`: the table was made by an older
 * spa-server, whose guarded set has no timeout flag; `add set` with other flags fails, so that
 * set is deleted (after the chain that refers to it) and created anew, in the same batch.
 */
export function guardBatch(
  table: string,
  priority: number,
  guarded: GuardedPort[],
  legacyGuarded = false,
): string {
  const t = `inet ${table}`;
  const lines = [
    `add table ${t}`,
    `add set ${t} grants4 { type ipv4_addr . inet_proto . inet_service; flags timeout; }`,
    `add set ${t} grants6 { type ipv6_addr . inet_proto . inet_service; flags timeout; }`,
    `add chain ${t} input`,
    `flush chain ${t} input`,
    `delete chain ${t} input`,
  ];
  if (legacyGuarded) lines.push(`delete set ${t} guarded`);
  lines.push(`add set ${t} guarded { ${GUARDED_SET} }`, `flush set ${t} guarded`);
  if (guarded.length > 0) {
    const elements = guarded.map(
      (p) => `${p.protocol} . ${p.port}${p.trialSeconds === undefined ? '' : ` timeout ${p.trialSeconds}s`}`,
    );
    lines.push(`add element ${t} guarded { ${elements.join(', ')} }`);
  }
  lines.push(
    // An accept here ends this table's chain only: a drop in any other table still wins.
    // This chain can hide the guarded ports and pass granted tuples, never open a port.
    `add chain ${t} input { type filter hook input priority ${priority}; policy accept; }`,
    `add rule ${t} input ct state established,related accept`,
    // Loopback comes from this host only; guarding it would break local clients and checks.
    `add rule ${t} input iif lo accept`,
    `add rule ${t} input ip saddr . meta l4proto . th dport @grants4 accept`,
    `add rule ${t} input ip6 saddr . meta l4proto . th dport @grants6 accept`,
    // A TCP flow that predates conntrack in this namespace (the admin's ssh session on a host
    // with no firewall before spa) is "new" to conntrack at its next packet, an ACK without
    // SYN: let such packets by, or turning the guard on would cut the session. A stray ACK gets
    // a RST from a listening port and a closed one alike, so it reveals nothing. FIN, NULL or
    // Xmas probes (no ACK), which a listener ignores but a closed port answers, would tell a
    // hidden open port from a closed one: conntrack already calls them invalid, and the rule
    // names ACK so that it does not rest on that (lab: e2e/stealth.test.ts).
    `add rule ${t} input ct state new tcp flags & (syn | ack) == ack accept`,
    `add rule ${t} input meta l4proto . th dport @guarded drop`,
  );
  return `${lines.join('\n')}\n`;
}

function element(g: { address: string; protocol: L4; port: number }): string {
  return `${g.address} . ${g.protocol} . ${g.port}`;
}

/**
 * Add or refresh, atomically on one line (one batch). Re-adding an existing element keeps its
 * old timeout, and deleting a missing one fails the batch, so: add (creates if missing),
 * delete, add again with the new timeout.
 */
export function refreshCommand(table: string, g: CheckedGrant): string {
  const set = `inet ${table} ${grantSet(g.family)}`;
  const e = element(g);
  const add = `add element ${set} { ${e} timeout ${g.seconds}s${comment(g)} }`;
  return `${add}; delete element ${set} { ${e} }; ${add}`;
}

/** `nft` arguments that succeed only while the set holds this tuple's element. */
export function getElementArgs(table: string, g: CheckedGrant): string[] {
  return ['get', 'element', 'inet', table, grantSet(g.family), `{ ${element(g)} }`];
}

/** A grant for a tuple known to have no live element: one command instead of three. */
export function addCommand(table: string, g: CheckedGrant): string {
  return `add element inet ${table} ${grantSet(g.family)} { ${element(g)} timeout ${g.seconds}s${comment(g)} }`;
}

/** The client's name as the element's comment (checked: _check.ts allows no quote or space). */
function comment(g: CheckedGrant): string {
  return g.client ? ` comment "${g.client}"` : '';
}

/** Delete elements that may expire meanwhile: add first (no-op if present), so the delete cannot miss. */
export function revokeCommand(
  table: string,
  family: 4 | 6,
  grants: { address: string; protocol: L4; port: number }[],
): string {
  const set = `inet ${table} ${grantSet(family)}`;
  const list = grants.map(element).join(', ');
  return `add element ${set} { ${list} }; delete element ${set} { ${list} }`;
}

/** Removes the table whether or not it exists (nft 1.0.6 has no `destroy`). */
export function removeTableCommand(table: string): string {
  return `add table inet ${table}; delete table inet ${table}`;
}

/**
 * Reads `nft -j list set inet T guarded`: true if the set exists without `flags timeout` (made
 * by an older spa-server), false otherwise.
 */
export function guardedSetIsLegacy(json: string): boolean {
  const doc = JSON.parse(json) as { nftables?: unknown[] };
  for (const item of doc.nftables ?? []) {
    const set = (item as { set?: { flags?: unknown } }).set;
    if (!set) continue;
    const flags = Array.isArray(set.flags) ? set.flags : typeof set.flags === 'string' ? [set.flags] : [];
    return !flags.includes('timeout');
  }
  return false;
}

/** Rules guardBatch puts in the input chain; fewer means someone flushed or edited it. */
export const GUARD_RULES = 6;

export function listTableCommand(table: string): string {
  return `list table inet ${table}`;
}

/**
 * Reads `nft -j list table inet T`: is the guard whole? The three sets, the input chain on the
 * input hook with all GUARD_RULES rules, and every permanently guarded port in `guarded` (trial
 * ports may have expired on purpose). Anything else (a flushed ruleset answers with an error
 * instead, handled by the caller) is a guard that no longer hides what it should.
 */
export function tableIsIntact(json: string, permanent: readonly { protocol: L4; port: number }[]): boolean {
  const doc = JSON.parse(json) as { nftables?: unknown[] };
  const items = doc.nftables ?? [];
  const sets = new Set<string>();
  let hooked = false;
  let rules = 0;
  let guardedSet: unknown;
  for (const item of items) {
    const o = item as {
      set?: { name?: string };
      chain?: { name?: string; hook?: string };
      rule?: { chain?: string };
    };
    if (o.set?.name) {
      sets.add(o.set.name);
      if (o.set.name === 'guarded') guardedSet = item;
    }
    if (o.chain?.name === 'input' && o.chain.hook === 'input') hooked = true;
    if (o.rule?.chain === 'input') rules++;
  }
  if (!hooked || rules !== GUARD_RULES) return false;
  if (!['grants4', 'grants6', 'guarded'].every((n) => sets.has(n))) return false;
  const present = parseGuardedJson(JSON.stringify({ nftables: [guardedSet] }));
  return permanent.every((p) => present.some((g) => g.protocol === p.protocol && g.port === p.port));
}

export function listGuardedCommand(table: string): string {
  return `list set inet ${table} guarded`;
}

/**
 * Reads `nft -j list set inet T guarded`: elements are `{"concat": ["tcp", 22]}` (for good) or
 * `{"elem": {"val": {"concat": ["tcp", 22]}, "timeout": 130, "expires": 129}}` (on trial).
 */
export function parseGuardedJson(json: string): GuardState[] {
  const out: GuardState[] = [];
  for (const e of setElements(json)) {
    const [proto, port] = e.values;
    const service = protoPort(proto, port);
    if (!service) continue;
    out.push(e.expires === undefined ? service : { ...service, trialSecondsLeft: e.expires });
  }
  return out.sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
}

export function listSetCommand(table: string, family: 4 | 6): string {
  return `list set inet ${table} ${grantSet(family)}`;
}

/**
 * Reads `nft -j list set` output of a grant set (libnftables-json): elements look like
 * `{"elem": {"val": {"concat": ["192.0.2.1", "tcp", 22]}, "timeout": 30, "expires": 29}}`,
 * times in whole seconds. Returns addresses as printed by nft; callers canonicalise.
 */
export function parseSetJson(json: string): LiveGrant[] {
  const out: LiveGrant[] = [];
  for (const e of setElements(json)) {
    if (!e.wrapped) continue; // a grant always has a timeout
    const [address, proto, port] = e.values;
    const service = protoPort(proto, port);
    if (typeof address !== 'string' || !service) continue;
    out.push({
      address,
      ...service,
      secondsLeft: e.expires ?? e.timeout ?? 0,
      ...(e.comment !== undefined ? { client: e.comment } : {}),
    });
  }
  return out;
}

const PROTOCOLS: Record<string, L4> = { tcp: 'tcp', udp: 'udp', '6': 'tcp', '17': 'udp' };

interface SetElement {
  /** The `concat` values, e.g. ["192.0.2.1", "tcp", 22] or ["tcp", 22]. */
  readonly values: readonly unknown[];
  /** Written as `{"elem": {"val": …, "timeout": …}}` (an element with a timeout) rather than bare. */
  readonly wrapped: boolean;
  readonly timeout: number | undefined;
  readonly expires: number | undefined;
  readonly comment: string | undefined;
}

/** The elements of every set in `nft -j list set` output, bare (`{"concat": […]}`) or wrapped. */
function setElements(json: string): SetElement[] {
  const doc = JSON.parse(json) as { nftables?: unknown[] };
  const out: SetElement[] = [];
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  for (const item of doc.nftables ?? []) {
    const set = (item as { set?: { elem?: unknown[] } }).set;
    for (const raw of set?.elem ?? []) {
      const e = (raw as { elem?: { val?: unknown; timeout?: unknown; expires?: unknown; comment?: unknown } })
        .elem;
      const val = (e ? e.val : raw) as { concat?: unknown[] } | undefined;
      out.push({
        values: val?.concat ?? [],
        wrapped: e !== undefined,
        timeout: num(e?.timeout),
        expires: num(e?.expires),
        comment: typeof e?.comment === 'string' ? e.comment : undefined,
      });
    }
  }
  return out;
}

/** A protocol and port as nft prints them (names or numbers); undefined if they are not. */
function protoPort(proto: unknown, port: unknown): { protocol: L4; port: number } | undefined {
  const protocol = PROTOCOLS[String(proto)];
  const n = typeof port === 'number' ? port : Number(port);
  return protocol && Number.isInteger(n) ? { protocol, port: n } : undefined;
}

/** nft -i marker: a bare word is a syntax error, and nft quotes the offending line back. */
export const nftMarker = {
  line: (n: number) => `${MARKER_PREFIX}${n}`,
  find(stderr: string, n: number) {
    const token = `\n${MARKER_PREFIX}${n}\n`;
    const at = stderr.indexOf(token);
    if (at < 0) return undefined;
    const end = stderr.indexOf('\n', at + token.length); // the caret line under it
    if (end < 0) return undefined;
    return { start: stderr.lastIndexOf('\n', at - 1) + 1, end: end + 1 };
  },
};
