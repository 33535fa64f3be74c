/**
 * A Firewall that only records what it is asked to do, synchronously, for the fuzzer, the
 * benchmark and tests. `fail` makes the next grants reject (to test error paths).
 */
import type { Firewall, Grant, GuardedPort, LiveGrant } from '../firewall/firewall.js';

export class RecordingFirewall implements Firewall {
  readonly name = 'recording';
  readonly grants: Grant[] = [];
  readonly starts: GuardedPort[][] = [];
  readonly stops: Array<'keep' | 'remove'> = [];
  fail = false;

  async start(guarded: GuardedPort[]): Promise<void> {
    this.starts.push(guarded.map((g) => ({ ...g })));
  }

  async grant(g: Grant): Promise<void> {
    if (this.fail) throw new Error('recording firewall: told to fail');
    this.grants.push({ ...g });
  }

  async list(): Promise<LiveGrant[]> {
    const live = new Map<string, LiveGrant>();
    for (const g of this.grants)
      live.set(`${g.address}/${g.protocol}/${g.port}`, { ...g, secondsLeft: g.seconds });
    return [...live.values()];
  }

  async revoke(address: string): Promise<number> {
    const before = this.grants.length;
    const kept = this.grants.filter((g) => g.address !== address);
    this.grants.splice(0, this.grants.length, ...kept);
    return before - kept.length;
  }

  async stop(mode: 'keep' | 'remove'): Promise<void> {
    this.stops.push(mode);
  }
}
