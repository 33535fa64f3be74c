/**
 * iptables + ipset backend, for hosts without nftables (or with an iptables-managed firewall).
 *
 *   ipset:     spa4 hash:ip,port family inet timeout 0   spa6 … family inet6
 *   iptables:  -A INPUT -j SPA   (inserted first, only if `-C` does not find it)
 *              -A SPA -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
 *              -A SPA -i lo -j RETURN
 *              -A SPA -m set --match-set spa4 src,dst -j RETURN
 *              -A SPA -p tcp --tcp-flags SYN,ACK ACK -m conntrack --ctstate NEW -j RETURN   (flows older than conntrack)
 *              -A SPA -p tcp -m tcp --dport 22 -j DROP      (one per guarded port)
 *              -A SPA -p tcp -m set --match-set spa_trial_tcp dst -j DROP   (ports on trial)
 *              -A SPA -p udp -m set --match-set spa_trial_udp dst -j DROP
 *   and the same with ip6tables and spa6 (the trial sets are bitmap:port, shared by both).
 *
 * Grants are `ipset add … timeout N -exist` lines sent to one long-lived `ipset -` child
 * (interactive mode; framing in line-session.ts), so a grant costs about one pipe round trip
 * where a process per grant would cost milliseconds (docs/firewall.md). Entries expire in the kernel even if the daemon dies. Rules change only in
 * start() and stop(), with one iptables process per step.
 *
 * Trial guards (GuardedPort.trialSeconds) are elements of the trial sets with that timeout
 * instead of DROP rules, so the kernel rolls a trial back even if the daemon dies; start()
 * without trialSeconds confirms (a DROP rule, the element removed), start() without the port
 * rolls back. Order in start(): trial elements added before the chain is refilled, and old
 * ones removed after, so a port moving in or out of trial is never unguarded in between.
 */
import { canonicalAddress, canonicalOrAsIs, checkGrant, checkGuarded, checkName } from './check.js';
import {
  type Firewall,
  FirewallError,
  type Grant,
  type GuardedPort,
  type GuardState,
  type LiveGrant,
  type LogFn,
  type TrialSupport,
} from './firewall.js';
import {
  addCommand,
  chainRestore,
  createSets,
  delCommand,
  type IpsetNames,
  ipsetMarker,
  ipsetNames,
  parseChainDrops,
  parseSave,
  parseTrialSave,
  setOf,
  type TrialEntry,
  testArgs,
  trialRestore,
} from './ipset-text.js';
import { LineSession } from './line-session.js';
import { LiveTuples } from './live.js';
import { type CommandTestSeams, commandFailed, defaultSpawn, runOnce, type SpawnFn } from './process.js';

export interface IpsetOptions {
  /** Base name: sets `<name>4`, `<name>6`, chain `<NAME>`; default 'spa'. */
  name?: string;
  testSeams?: CommandTestSeams;
  spawn?: SpawnFn;
  log?: LogFn;
  /** Clock for the live-grant bookkeeping; default Date.now. */
  now?: () => number;
}

const TABLES = { 4: ['iptables', 'iptables-restore'], 6: ['ip6tables', 'ip6tables-restore'] } as const;
/** Seconds iptables waits for the xtables lock. */
const LOCK_WAIT = '5';

export class IpsetFirewall implements Firewall {
  readonly name = 'iptables';
  static readonly trial: TrialSupport = 'kernel';
  readonly trial = IpsetFirewall.trial;
  readonly names: IpsetNames;
  readonly #prefix: string[];
  readonly #spawn: SpawnFn;
  readonly #timeoutMs: number;
  readonly #session: LineSession;
  /** The grants this process gave (and found at start), with their deadlines. */
  readonly #live: LiveTuples;
  /** The guarded ports of the last start(), for intact() and heal(). */
  #guarded: GuardedPort[] = [];

  constructor(options: IpsetOptions = {}) {
    this.#live = new LiveTuples(options.now ?? Date.now, 0);
    this.names = ipsetNames(checkName(options.name ?? 'spa', 'ipset name'));
    this.#prefix = options.testSeams?.argvPrefix ?? [];
    this.#spawn = options.spawn ?? defaultSpawn;
    this.#timeoutMs = options.testSeams?.timeoutMs ?? 5000;
    this.#session = new LineSession({
      label: 'ipset',
      argv: ['ipset', '-'],
      prefix: this.#prefix,
      spawn: this.#spawn,
      marker: ipsetMarker,
      timeoutMs: this.#timeoutMs,
      ...(options.log ? { log: options.log } : {}),
    });
  }

  async start(guarded: GuardedPort[]): Promise<void> {
    const ports = checkGuarded(guarded);
    this.#guarded = ports;
    const trial = ports.filter((p) => p.trialSeconds !== undefined);
    await this.#exec(
      ['ipset', '-exist', 'restore'],
      createSets(this.names) + trialRestore(this.names, trial, []),
    );
    for (const family of [4, 6] as const) {
      const [iptables, restore] = TABLES[family];
      await this.#exec([restore, '-w', LOCK_WAIT, '--noflush'], chainRestore(this.names, family, ports));
      const chain = this.names.chain;
      const present = await this.#try([iptables, '-w', LOCK_WAIT, '-C', 'INPUT', '-j', chain]);
      if (!present) await this.#exec([iptables, '-w', LOCK_WAIT, '-I', 'INPUT', '1', '-j', chain]);
    }
    const stale = trialRestore(this.names, trial, await this.#trialEntries());
    if (stale) await this.#exec(['ipset', '-exist', 'restore'], stale);
    await this.#run(''); // start the long-lived child now, so the first grant is fast
    this.#live.load(await this.list());
  }

  /**
   * `add … -exist` replaces an entry's timeout, so a grant asks for the seconds it needs or,
   * if this tuple has a longer live grant, the whole seconds that one has left: grants only
   * grow (the longer one is at most rounded up to the next second).
   */
  async grant(g: Grant): Promise<void> {
    const checked = checkGrant(g);
    // Grants only grow, but only over an entry the kernel still has: one removed behind this
    // process's back (`spa-server revoke`, another tool) is forgotten, not brought back.
    let seconds = checked.seconds;
    if (this.#live.secondsLeft(checked) > seconds) {
      if (await this.#try(['ipset', ...testArgs(this.names, checked)])) {
        seconds = this.#live.secondsLeft(checked);
      } else {
        this.#live.delete(checked);
      }
    }
    await this.#run(addCommand(this.names, { ...checked, seconds }));
    this.#live.note(checked);
  }

  /** The four sets exist; per family the chain has all its rules and INPUT jumps to it. */
  async intact(): Promise<boolean> {
    const sets = await runOnce(this.#spawn, ['ipset', 'list', '-n'], this.#opts());
    if (sets.code !== 0) return false;
    const names = new Set(sets.stdout.split('\n').map((l) => l.trim()));
    const n = this.names;
    if (![n.set4, n.set6, n.trial.tcp, n.trial.udp].every((x) => names.has(x))) return false;
    for (const family of [4, 6] as const) {
      const [iptables] = TABLES[family];
      if (!(await this.#try([iptables, '-w', LOCK_WAIT, '-C', 'INPUT', '-j', n.chain]))) return false;
      const r = await runOnce(this.#spawn, [iptables, '-w', LOCK_WAIT, '-S', n.chain], this.#opts());
      if (r.code !== 0) return false;
      const want = chainRestore(n, family, this.#guarded)
        .split('\n')
        .filter((l) => l.startsWith('-A ')).length;
      if (r.stdout.split('\n').filter((l) => l.startsWith(`-A ${n.chain} `)).length !== want) return false;
    }
    return true;
  }

  /** start(), then the grants this process knows to be live that the sets lost, with their time left. */
  async heal(guarded: GuardedPort[]): Promise<number> {
    const live = this.#live.live();
    await this.start(guarded); // reloads #live from what the sets still hold
    let restored = 0;
    for (const g of live) {
      if (this.#live.secondsLeft(g) > 0) continue;
      await this.#run(addCommand(this.names, g));
      this.#live.note(g);
      restored++;
    }
    return restored;
  }

  async list(): Promise<LiveGrant[]> {
    return [...(await this.#list(4)), ...(await this.#list(6))];
  }

  async revoke(address: string): Promise<number> {
    const a = canonicalAddress(address);
    const mine = (await this.#list(a.family)).filter((g) => g.address === a.text);
    for (const g of mine) {
      await this.#run(delCommand(this.names, a.family, g));
      this.#live.delete(g);
    }
    return mine.length;
  }

  async stop(mode: 'keep' | 'remove'): Promise<void> {
    await this.#session.close();
    if (mode === 'keep') return;
    const chain = this.names.chain;
    for (const family of [4, 6] as const) {
      const [iptables] = TABLES[family];
      // A hook inserted twice by hand would survive one -D: delete until -C fails (bounded).
      for (
        let i = 0;
        i < 8 && (await this.#try([iptables, '-w', LOCK_WAIT, '-C', 'INPUT', '-j', chain]));
        i++
      ) {
        await this.#exec([iptables, '-w', LOCK_WAIT, '-D', 'INPUT', '-j', chain]);
      }
      if (await this.#try([iptables, '-w', LOCK_WAIT, '-F', chain])) {
        await this.#exec([iptables, '-w', LOCK_WAIT, '-X', chain]);
      }
    }
    for (const set of [this.names.set4, this.names.set6, this.names.trial.tcp, this.names.trial.udp]) {
      const r = await runOnce(this.#spawn, ['ipset', 'destroy', set], this.#opts());
      if (r.code !== 0 && !/does not exist/.test(r.stderr))
        throw commandFailed(`ipset destroy ${set}`, r.stderr);
    }
  }

  /** Permanent DROP rules of the IPv4 chain, and the trial sets' ports with their time left. */
  async guard(): Promise<GuardState[]> {
    const r = await runOnce(this.#spawn, ['iptables', '-w', LOCK_WAIT, '-S', this.names.chain], this.#opts());
    if (r.code !== 0) throw commandFailed(`iptables -S ${this.names.chain}`, r.stderr, r.code);
    const trial: GuardState[] = (await this.#trialEntries()).map((e) => ({
      protocol: e.protocol,
      port: e.port,
      trialSecondsLeft: e.secondsLeft ?? 0,
    }));
    return [...parseChainDrops(r.stdout), ...trial].sort(
      (a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol),
    );
  }

  /** The ports in the trial sets now. */
  async #trialEntries(): Promise<(TrialEntry & { secondsLeft?: number })[]> {
    const out: (TrialEntry & { secondsLeft?: number })[] = [];
    for (const protocol of ['tcp', 'udp'] as const) {
      const set = this.names.trial[protocol];
      const r = await runOnce(this.#spawn, ['ipset', 'save', set], this.#opts());
      if (r.code !== 0) throw this.#failed(`ipset save ${set}`, r.stderr, r.code);
      out.push(...parseTrialSave(r.stdout, protocol));
    }
    return out;
  }

  async #list(family: 4 | 6): Promise<LiveGrant[]> {
    const set = setOf(this.names, family);
    const r = await runOnce(this.#spawn, ['ipset', 'save', set], this.#opts());
    if (r.code !== 0) throw this.#failed(`ipset save ${set}`, r.stderr, r.code);
    return parseSave(r.stdout).map((g) => ({ ...g, address: canonicalOrAsIs(g.address) }));
  }

  async #run(command: string): Promise<void> {
    const r = await this.#session.request(command);
    if (r.stderr) throw this.#failed('ipset', r.stderr);
  }

  #opts(input?: string) {
    return { prefix: this.#prefix, timeoutMs: this.#timeoutMs, ...(input === undefined ? {} : { input }) };
  }

  async #exec(argv: string[], input?: string): Promise<void> {
    const r = await runOnce(this.#spawn, argv, this.#opts(input));
    if (r.code !== 0) {
      // The command without its lock wait, e.g. "ip6tables -I INPUT 1 -j SPA".
      const what = argv.filter((a, i) => a !== '-w' && argv[i - 1] !== '-w').join(' ');
      throw commandFailed(what, r.stderr, r.code);
    }
  }

  #failed(what: string, stderr: string, code: number | null = null): FirewallError {
    const e = commandFailed(what, stderr, code);
    if (e.hint || !/does not exist/.test(stderr)) return e;
    return new FirewallError(
      e.code,
      e.message,
      `the ipsets ${this.names.set4}/${this.names.set6} are missing: spa-server has not run on this host, or they were removed; start it with spa-server run`,
    );
  }

  /** True when the command exits 0 (used for `-C` checks). */
  async #try(argv: string[]): Promise<boolean> {
    return (await runOnce(this.#spawn, argv, this.#opts())).code === 0;
  }
}
