/**
 * Text for the iptables + ipset backend: `ipset` commands, the `iptables-restore` chain,
 * and parsing of `ipset save`. Pure functions over checked values (see check.ts).
 */
import type { CheckedGrant } from './check.js';
import type { GuardedPort, L4, LiveGrant } from './firewall.js';

export interface IpsetNames {
  /** ipset holding IPv4 grants, e.g. 'spa4'. */
  set4: string;
  set6: string;
  /**
   * bitmap:port sets of the ports on trial, per protocol, e.g. 'spa_trial_tcp': each element
   * has the trial's timeout, so the kernel drops the guard if the daemon dies (no address
   * family: iptables and ip6tables match the same set).
   */
  trial: Record<L4, string>;
  /** iptables/ip6tables chain, e.g. 'SPA'. */
  chain: string;
}

export function ipsetNames(name: string): IpsetNames {
  return {
    set4: `${name}4`,
    set6: `${name}6`,
    trial: { tcp: `${name}_trial_tcp`, udp: `${name}_trial_udp` },
    chain: name.toUpperCase(),
  };
}

export function setOf(n: IpsetNames, family: 4 | 6): string {
  return family === 4 ? n.set4 : n.set6;
}

/** For `ipset -exist restore`: creates the sets if missing, keeps their elements. */
export function createSets(n: IpsetNames): string {
  return (
    `create ${n.set4} hash:ip,port family inet timeout 0\n` +
    `create ${n.set6} hash:ip,port family inet6 timeout 0\n` +
    `create ${n.trial.tcp} bitmap:port range 0-65535 timeout 0\n` +
    `create ${n.trial.udp} bitmap:port range 0-65535 timeout 0\n`
  );
}

/**
 * For `ipset -exist restore`: the trial ports with their kernel timeout (re-adding with
 * -exist sets the new timeout), and the removal of ports no longer on trial (confirmed: a
 * DROP rule guards them now; rolled back: nothing does).
 */
export function trialRestore(n: IpsetNames, trial: GuardedPort[], current: readonly TrialEntry[]): string {
  const lines = trial.map((p) => `add ${n.trial[p.protocol]} ${p.port} timeout ${p.trialSeconds}`);
  for (const c of current) {
    if (!trial.some((p) => p.protocol === c.protocol && p.port === c.port))
      lines.push(`del ${n.trial[c.protocol]} ${c.port}`);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

export interface TrialEntry {
  readonly protocol: L4;
  readonly port: number;
}

/** Reads `ipset save` of a trial set: lines like `add spa_trial_tcp 22 timeout 118`. */
export function parseTrialSave(text: string, protocol: L4): (TrialEntry & { secondsLeft?: number })[] {
  const out: (TrialEntry & { secondsLeft?: number })[] = [];
  for (const line of text.split('\n')) {
    const m = /^add \S+ (\d+)(?: timeout (\d+))?$/.exec(line.trim());
    if (m) out.push({ protocol, port: Number(m[1]), ...(m[2] ? { secondsLeft: Number(m[2]) } : {}) });
  }
  return out;
}

/** The permanently guarded ports in `iptables -S CHAIN` output (`… -p tcp -m tcp --dport 22 -j DROP`). */
export function parseChainDrops(text: string): TrialEntry[] {
  const out: TrialEntry[] = [];
  for (const line of text.split('\n')) {
    const m = / -p (tcp|udp) -m (?:tcp|udp) --dport (\d+) -j DROP$/.exec(line.trim());
    if (m) out.push({ protocol: m[1] as L4, port: Number(m[2]) });
  }
  return out;
}

function entry(g: { address: string; protocol: L4; port: number }): string {
  return `${g.address},${g.protocol}:${g.port}`;
}

/** With -exist, re-adding an entry replaces its timeout (ipset(8), "timeout"): a refresh, never a duplicate. */
export function addCommand(n: IpsetNames, g: CheckedGrant): string {
  return `add ${setOf(n, g.family)} ${entry(g)} timeout ${g.seconds} -exist`;
}

/** `ipset` arguments that succeed only while the grant set holds this tuple. */
export function testArgs(n: IpsetNames, g: CheckedGrant): string[] {
  return ['test', setOf(n, g.family), entry(g)];
}

/** -exist: an entry that expired meanwhile is not an error. */
export function delCommand(
  n: IpsetNames,
  family: 4 | 6,
  g: { address: string; protocol: L4; port: number },
): string {
  return `del ${setOf(n, family)} ${entry(g)} -exist`;
}

/**
 * The chain for `iptables-restore --noflush` (or ip6tables-restore). Declaring `:SPA` flushes
 * it if it exists, so the refill is atomic and idempotent. Established flows and granted
 * tuples RETURN to INPUT rather than ACCEPT: like the nftables table, spa only ever takes
 * traffic away; whether a port is open is still the host firewall's decision.
 */
export function chainRestore(n: IpsetNames, family: 4 | 6, guarded: GuardedPort[]): string {
  const c = n.chain;
  const permanent = guarded.filter((p) => p.trialSeconds === undefined);
  const lines = [
    '*filter',
    `:${c} - [0:0]`,
    `-A ${c} -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN`,
    `-A ${c} -i lo -j RETURN`,
    `-A ${c} -m set --match-set ${setOf(n, family)} src,dst -j RETURN`,
    // A TCP flow older than conntrack is NEW at its next (non-SYN) packet: never cut it.
    `-A ${c} -p tcp --tcp-flags SYN,ACK ACK -m conntrack --ctstate NEW -j RETURN`,
    ...permanent.map((p) => `-A ${c} -p ${p.protocol} -m ${p.protocol} --dport ${p.port} -j DROP`),
    // Ports on trial: guarded while their element lives in the trial set (kernel timeout).
    `-A ${c} -p tcp -m set --match-set ${n.trial.tcp} dst -j DROP`,
    `-A ${c} -p udp -m set --match-set ${n.trial.udp} dst -j DROP`,
    'COMMIT',
  ];
  return `${lines.join('\n')}\n`;
}

/** Reads `ipset save SET`: lines like `add spa4 192.0.2.1,tcp:22 timeout 59`. */
export function parseSave(text: string): LiveGrant[] {
  const out: LiveGrant[] = [];
  for (const line of text.split('\n')) {
    const m = /^add \S+ (\S+),(tcp|udp):(\d+)(?: timeout (\d+))?/.exec(line.trim());
    if (!m) continue;
    out.push({
      address: m[1]!,
      protocol: m[2] as L4,
      port: Number(m[3]),
      secondsLeft: Number(m[4] ?? 0),
    });
  }
  return out;
}

/** `ipset -` marker: a create with a non-numeric timeout fails while parsing, quoting the token. */
export const ipsetMarker = {
  line: (n: number) => `create spa-sync hash:ip timeout sync${n}`,
  find(stderr: string, n: number) {
    const at = stderr.indexOf(`'sync${n}'`);
    if (at < 0) return undefined;
    const end = stderr.indexOf('\n', at);
    if (end < 0) return undefined;
    return { start: stderr.lastIndexOf('\n', at) + 1, end: end + 1 };
  },
};
