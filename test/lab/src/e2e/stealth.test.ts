/**
 * A hidden port must look like a closed one to every probe, not only to a SYN. The attacker
 * sends single TCP segments with chosen flags (./spa/tcp-flags-probe.c, raw socket) to a
 * guarded port with a service behind it (ssh, 22) and to a guarded port with none (2222),
 * and compares the answers. FIN, NULL and Xmas probes are the classic test: a listening
 * socket ignores them while a closed port answers with a RST, so whatever lets them through
 * to a guarded port tells a scanner which hidden ports are open.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compileC } from '../lab/compile-c.js';
import { labAvailable } from '../lab/index.js';
import { type SpaLab, startSpaLab } from '../spa/fixture.js';

/** tcp-flags-probe.c is not compiled by tsc: read it from the source tree. */
const PROBE_SOURCE = new URL('../../src/spa/tcp-flags-probe.c', import.meta.url).pathname;
const HIDDEN_OPEN = 22;
const HIDDEN_CLOSED = 2222;
const UNGUARDED_CLOSED = 2323;
const WAIT_MS = '400';

describe('hidden ports look closed to every probe', () => {
  let spa: SpaLab | undefined;
  let probeBin = '';

  before(async (t) => {
    if (!labAvailable(t as unknown as { skip(m?: string): void })) return;
    spa = await startSpaLab({ config: [['services', 'spare', `"${HIDDEN_CLOSED}/tcp"`]] });
    probeBin = compileC(PROBE_SOURCE, join(spa.dir, 'tcp-flags-probe'));
  });
  after(async () => {
    await spa?.teardown();
  });

  async function answer(port: number, flags: string): Promise<string> {
    const lab = spa!.lab;
    const { attacker, server } = lab.hosts;
    const r = await lab.exec('attacker', [
      probeBin,
      attacker.ipv4,
      server.ipv4,
      String(port),
      flags,
      WAIT_MS,
    ]);
    assert.equal(r.code, 0, `probe ${flags} → ${port}: ${r.stderr}`);
    return r.stdout.trim();
  }

  test('the probe itself sees answers: an unguarded closed port answers a FIN with a RST', async (t) => {
    if (!labAvailable(t) || !spa) return;
    assert.equal(await answer(UNGUARDED_CLOSED, 'F'), 'RA');
  });

  test('SYN, FIN, NULL, Xmas, ACK and FIN+ACK get the same answer from a hidden open and a hidden closed port', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const expected: Record<string, string> = { S: 'none', F: 'none', '-': 'none', FPU: 'none' };
    for (const flags of ['S', 'F', '-', 'FPU', 'A', 'FA']) {
      const open = await answer(HIDDEN_OPEN, flags);
      const closed = await answer(HIDDEN_CLOSED, flags);
      assert.equal(
        open,
        closed,
        `${flags}: the open hidden port answered "${open}", the closed one "${closed}"`,
      );
      if (expected[flags]) assert.equal(open, expected[flags], `${flags} is dropped on a hidden port`);
    }
  });
});
