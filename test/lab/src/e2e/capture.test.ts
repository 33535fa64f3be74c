/**
 * Issue 13: the daemon keeps one libpcap handle per interface for its whole life. With a 1 s
 * step the capture filter is re-armed every second (in place, pcap_setfilter); the daemon's
 * packet sockets (its /proc/PID/fd entries that /proc/net/packet lists) must stay the same
 * single socket throughout, and a knock must still open after the re-arms.
 */
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { labAvailable } from '../lab/index.js';
import { type SpaLab, sleep, startSpaLab } from '../spa/fixture.js';

const WATCH_MS = 6000;

describe('capture: one handle per interface for the life of the daemon', () => {
  let spa: SpaLab | undefined;

  before(async (t) => {
    if (!labAvailable(t as unknown as { skip(m?: string): void })) return;
    spa = await startSpaLab({ config: [['knock', 'step', '"1s"']] });
  });
  after(async () => {
    await spa?.teardown();
  });

  /** Inodes of the daemon's packet sockets: its fds that /proc/net/packet (its netns) lists. */
  async function packetSockets(lab: SpaLab): Promise<string[]> {
    const pid = lab.server?.pid;
    assert.ok(pid, 'daemon running');
    const table = await lab.lab.exec('server', ['cat', '/proc/net/packet']);
    assert.equal(table.code, 0, table.stderr);
    const inodes = new Set(
      table.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.trim().split(/\s+/).at(-1)!),
    );
    const mine: string[] = [];
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      let target = '';
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue; // closed meanwhile
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1]!)) mine.push(m[1]!);
    }
    return mine.sort();
  }

  test('1 s steps for 6 s: the filter is re-armed every step on the same single packet socket', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const first = await packetSockets(lab);
    assert.equal(first.length, 1, `one interface, one packet socket: ${first.join(',')}`);
    const rearmsBefore = lab.logs().filter((l) => l.msg === 'capture filter re-armed').length;
    const deadline = Date.now() + WATCH_MS;
    let samples = 0;
    while (Date.now() < deadline) {
      assert.deepEqual(await packetSockets(lab), first, 'a second (or another) capture handle appeared');
      samples++;
      await sleep(100);
    }
    const rearms = lab.logs().filter((l) => l.msg === 'capture filter re-armed').length - rearmsBefore;
    t.diagnostic(`${samples} samples, ${rearms} re-arms`);
    assert.ok(rearms >= 4, `only ${rearms} filter re-arms in ${WATCH_MS} ms`);
    const r = await lab.clientCli('client', ['open', 'web', '-4']);
    assert.equal(r.code, 0, `open after the re-arms: ${r.stderr}`);
    assert.deepEqual(await packetSockets(lab), first);
  });
});
