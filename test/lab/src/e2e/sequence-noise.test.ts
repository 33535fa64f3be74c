/**
 * Issue 12, item 8: a blind spoofer must not be able to deny one-time sequences. The attacker
 * sends TCP SYNs into the sequence range with the client's source address (raw socket, flood.c
 * with --spoof-bits 0) at 100 per second while `spa-client knock` runs. Before the fix each
 * spoofed wrong port reset the client's progress and the knock failed (0/6 in the issue).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compileFlood, Flood } from '../bench/flood.js';
import { labAvailable } from '../lab/index.js';
import { type SpaLab, startSpaLab } from '../spa/fixture.js';
import { CLOSED_PROBE_MS, logMark, reaches, revokeGrants, waitForLogAfter } from '../spa/probes.js';

const SERVICES = { ssh: '22/tcp', web: '80/tcp', db: '5432/tcp' };
const NOISE_PPS = 100;

describe('sequences tolerate noise', () => {
  let spa: SpaLab | undefined;
  let floodBin = '';
  let dir = '';

  before(async (t) => {
    if (!labAvailable(t as unknown as { skip(m?: string): void })) return;
    dir = mkdtempSync(join(tmpdir(), 'spa-seqnoise-'));
    floodBin = compileFlood(dir);
    spa = await startSpaLab({
      services: SERVICES,
      clients: { alice: { services: Object.keys(SERVICES) } },
    });
  });
  after(async () => {
    await spa?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('spoofed SYNs from the client address into the range do not deny spa-client knock', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server, client: clientHost } = lab.lab.hosts;
    const client = await lab.lab.agent('client');
    const noise0 = (await lab.counters())['sequence-noise'] ?? 0;
    for (const service of Object.keys(SERVICES)) {
      const port = Number(SERVICES[service as keyof typeof SERVICES].split('/')[0]);
      // Bounded: at most 100 pps for at most 8 s (800 SYNs), from the attacker's namespace.
      const flood = Flood.start(lab.lab, 'attacker', floodBin, {
        dst: server.ipv4,
        ports: [],
        portRange: [50000, 59999],
        size: 0,
        rate: NOISE_PPS,
        durationMs: 8000,
        maxPackets: NOISE_PPS * 8,
        spoofNet: clientHost.ipv4,
        spoofBits: 0,
        syn: true,
      });
      try {
        // The flood runs 8 s; the client CLI starts after it and knocks for well under 1 s.
        const mark = logMark(lab);
        const r = await lab.clientCli('client', ['knock', service, '-4', '--json']);
        assert.equal(r.code, 0, `knock ${service} under spoofed noise: ${r.stderr}`);
        // Before the fix the overlapping port probes also printed MaxListenersExceededWarning.
        assert.doesNotMatch(r.stderr, /Warning/, r.stderr);
        const grant = await waitForLogAfter(
          lab,
          mark,
          (l) => l.msg === 'grant' && l.address === clientHost.ipv4 && l.port === port,
        );
        assert.equal(grant.via, 'sequence');
        assert.ok(await reaches(client, server.ipv4, port), `${service} opened`);
      } finally {
        const sent = await flood.stop();
        assert.ok(sent.sent > 0, `the spoofer sent SYNs: ${JSON.stringify(sent)}`);
      }
      await revokeGrants(lab, clientHost.ipv4);
      assert.equal(await reaches(client, server.ipv4, port, CLOSED_PROBE_MS), false);
    }
    // The spoofed SYNs did reach the daemon: counted as noise, not as progress or a reset.
    const c = await lab.counters();
    assert.ok((c['sequence-noise'] ?? 0) > noise0, `noise counted: ${JSON.stringify(c)}`);
  });
});
