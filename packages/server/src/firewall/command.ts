/**
 * Generic backend: runs an operator-supplied program per grant, for firewalls spa does not
 * know (a cloud security group CLI, firewalld, pf over ssh…).
 *
 *   { grant: ['/usr/local/bin/open-port', '--from', '{ip}', '{proto}/{port}', '--for', '{seconds}'],
 *     revoke: ['/usr/local/bin/close-port', '--from', '{ip}', '{proto}/{port}'] }
 *
 * Placeholders are replaced inside each argv element and never split it: no shell is ever
 * involved, so a value cannot become a second argument or a command. Values are checked
 * before use anyway ({ip} is a canonical address, {port} and {seconds} digits, {proto} tcp/udp).
 * `start` runs once when the guard is set up; `stop` only on stop('remove'). The program must
 * expire grants itself; list() reports what this process granted and has not expired.
 * The guarded ports are the operator's own script's business: a trial cannot be rolled back
 * here, and `spa-server run --trial` refuses this backend.
 */
import { canonicalAddress, checkGrant, checkGuarded } from './check.js';
import {
  type Clock,
  type Firewall,
  FirewallError,
  type Grant,
  type GuardedPort,
  type LiveGrant,
  type TrialSupport,
} from './firewall.js';
import { GrantTable } from './memory.js';
import { type CommandTestSeams, commandFailed, defaultSpawn, runOnce, type SpawnFn } from './process.js';

export interface CommandTemplates {
  grant: readonly string[];
  revoke?: readonly string[];
  start?: readonly string[];
  stop?: readonly string[];
}

export interface CommandOptions {
  templates: CommandTemplates;
  now?: Clock;
  spawn?: SpawnFn;
  testSeams?: CommandTestSeams;
}

export const PLACEHOLDERS = ['ip', 'proto', 'port', 'seconds'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

const ANY_PLACEHOLDER = /\{([A-Za-z_]+)\}/g;

function bad(message: string): FirewallError {
  return new FirewallError(
    'bad-argument',
    message,
    `a command template is a list of strings, the program first; placeholders: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`,
  );
}

/** Checks one template; `allowed` = the placeholders it may use. */
export function checkTemplate(label: string, argv: unknown, allowed: readonly Placeholder[]): string[] {
  if (!Array.isArray(argv) || argv.length === 0)
    throw bad(`command.${label}: expected a non-empty list of strings`);
  argv.forEach((arg, i) => {
    if (typeof arg !== 'string') throw bad(`command.${label}[${i}]: expected a string`);
    if (arg.includes('\0')) throw bad(`command.${label}[${i}]: contains a NUL byte`);
    for (const m of arg.matchAll(ANY_PLACEHOLDER)) {
      if (i === 0) throw bad(`command.${label}[0]: the program name cannot contain a placeholder`);
      if (!(allowed as readonly string[]).includes(m[1]!)) {
        throw bad(`command.${label}[${i}]: unknown or unavailable placeholder {${m[1]}}`);
      }
    }
  });
  if (argv[0] === '') throw bad(`command.${label}[0]: the program name is empty`);
  return [...argv] as string[];
}

/** One pass per element: a substituted value is never scanned again, and stays one argument. */
export function substitute(argv: readonly string[], values: Partial<Record<Placeholder, string>>): string[] {
  return argv.map((arg) =>
    arg.replace(ANY_PLACEHOLDER, (whole, name: string) => values[name as Placeholder] ?? whole),
  );
}

export class CommandFirewall implements Firewall {
  readonly name = 'command';
  static readonly trial: TrialSupport = 'none';
  readonly trial = CommandFirewall.trial;
  readonly #t: { grant: string[]; revoke?: string[]; start?: string[]; stop?: string[] };
  readonly #grants: GrantTable;
  readonly #spawn: SpawnFn;
  readonly #prefix: string[];
  readonly #timeoutMs: number;

  constructor(options: CommandOptions) {
    const t = options.templates;
    if (typeof t !== 'object' || t === null) throw bad('command: expected { grant, revoke?, start?, stop? }');
    this.#t = {
      grant: checkTemplate('grant', t.grant, PLACEHOLDERS),
      ...(t.revoke ? { revoke: checkTemplate('revoke', t.revoke, PLACEHOLDERS) } : {}),
      ...(t.start ? { start: checkTemplate('start', t.start, []) } : {}),
      ...(t.stop ? { stop: checkTemplate('stop', t.stop, []) } : {}),
    };
    this.#grants = new GrantTable(options.now ?? Date.now);
    this.#spawn = options.spawn ?? defaultSpawn;
    this.#prefix = options.testSeams?.argvPrefix ?? [];
    this.#timeoutMs = options.testSeams?.timeoutMs ?? 10_000;
  }

  async start(guarded: GuardedPort[]): Promise<void> {
    checkGuarded(guarded);
    if (this.#t.start) await this.#exec('start', this.#t.start);
  }

  /**
   * The program gets the seconds of the grant, or of a longer one this process gave the same
   * tuple and that is still live: a shorter knock never cuts a grant short.
   */
  async grant(g: Grant): Promise<void> {
    const asked = checkGrant(g);
    const c = { ...asked, seconds: this.#grants.seconds(asked) };
    await this.#exec(
      'grant',
      substitute(this.#t.grant, {
        ip: c.address,
        proto: c.protocol,
        port: String(c.port),
        seconds: String(c.seconds),
      }),
    );
    this.#grants.put(c);
  }

  async list(): Promise<LiveGrant[]> {
    return this.#grants.list();
  }

  async revoke(address: string): Promise<number> {
    const a = canonicalAddress(address);
    const revoke = this.#t.revoke;
    const live = this.#grants.list().filter((g) => g.address === a.text);
    if (live.length === 0) return 0;
    if (!revoke) {
      throw new FirewallError(
        'firewall-unsupported',
        `command: cannot revoke ${a.text}: no revoke command configured`,
        'add a revoke template, e.g. revoke = ["/usr/local/bin/close-port", "{ip}", "{proto}", "{port}"]',
      );
    }
    // One command per grant; each is forgotten as soon as its command succeeded, so a failure
    // part-way leaves exactly the unrevoked grants listed. In revoke, {seconds} is what was left.
    let removed = 0;
    for (const g of live) {
      await this.#exec(
        'revoke',
        substitute(revoke, {
          ip: g.address,
          proto: g.protocol,
          port: String(g.port),
          seconds: String(g.secondsLeft),
        }),
      );
      this.#grants.remove(g);
      removed++;
    }
    return removed;
  }

  async stop(mode: 'keep' | 'remove'): Promise<void> {
    if (mode !== 'remove') return;
    if (this.#t.stop) await this.#exec('stop', this.#t.stop);
    this.#grants.clear();
  }

  async #exec(label: string, argv: string[]): Promise<void> {
    const r = await runOnce(this.#spawn, argv, { prefix: this.#prefix, timeoutMs: this.#timeoutMs });
    if (r.code !== 0) throw commandFailed(`command.${label} (${argv[0]})`, r.stderr, r.code);
  }
}
