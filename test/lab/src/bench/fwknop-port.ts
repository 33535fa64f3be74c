/**
 * Issue 12, item 3: does a flood at spa's fwknop port starve native knocks? spa-server with N
 * `[fwknop_clients]` (default 20, random keys) in the lab; the attacker floods udp/62201 with
 * forged base64 datagrams (default 1463 bytes: the shape of an fwknop packet with an
 * HMAC-SHA256, so each one costs an HMAC per candidate client unless refused before) at each
 * rate, while native `spa-client open`-style knocks are timed from fresh source addresses, one
 * datagram each (the first send only: no resend). Prints one JSON line per condition and a
 * Markdown table at the end.
 *
 *   node test/lab/dist/bench/fwknop-port.js [--rates 0,20000,50000] [--size 1463] [--samples 100]
 *       [--clients 20] [--label before]
 *
 * Every flood is bounded by duration and packet count (flood.c caps both again).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startLab, startServices } from '../lab/index.js';
import { compileFlood, Flood } from './flood.js';
import { measureOpen, OPEN_PORT } from './latency.js';
import { Prober } from './probe.js';
import { SourcePool } from './sources.js';
import { counterDelta, Spa } from './spa.js';

const GUARDED_PORT = 22;
const FWKNOP_PORT = 62201;
const OPEN_TIMEOUT_MS = 2500;
const BUDGET_MS = 40_000;
const WARMUP_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Row {
  label: string;
  clients: number;
  size: number;
  rate: number;
  sentRate: number;
  attempts: number;
  opened: number;
  within1s: number;
  p50: number;
  p99: number;
  daemon: Record<string, number> | undefined;
}

function pct(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rates: { type: 'string', default: '0,20000,50000' },
      size: { type: 'string', default: '1463' },
      samples: { type: 'string', default: '100' },
      clients: { type: 'string', default: '20' },
      label: { type: 'string', default: 'this tree' },
    },
  });
  const rates = values.rates.split(',').map(Number);
  const size = Number(values.size);
  const samples = Number(values.samples);
  const clients = Number(values.clients);
  const tmp = mkdtempSync(join(tmpdir(), 'spa-fwknop-port-'));
  const floodBin = compileFlood(tmp);
  const lab = await startLab();
  const rows: Row[] = [];
  try {
    await startServices(lab, [GUARDED_PORT, OPEN_PORT]);
    const spa = await Spa.start(lab, {
      dir: tmp,
      guardedPort: GUARDED_PORT,
      grantSeconds: 3,
      fwknopClients: clients,
    });
    const prober = await Prober.start(lab, 'client');
    const pool = await SourcePool.create(lab, lab.hosts.client, 200);
    const rig = { prober, pool, server: lab.hosts.server, coolDownMs: 6000 };
    try {
      for (const rate of rates) {
        const spanMs = WARMUP_MS + BUDGET_MS + OPEN_TIMEOUT_MS * 4 + 1000;
        const before = await spa.counterValues();
        const flood =
          rate > 0
            ? Flood.start(lab, 'attacker', floodBin, {
                dst: lab.hosts.server.ipv4,
                ports: [FWKNOP_PORT],
                size,
                base64: true,
                rate,
                durationMs: spanMs,
                maxPackets: Math.ceil((rate * spanMs) / 1000) + 1000,
              })
            : undefined;
        const opens: Array<{ ok: boolean; ms: number }> = [];
        let sent = { sent: 0, rate: 0 };
        try {
          await sleep(WARMUP_MS);
          const deadline = performance.now() + BUDGET_MS;
          while (opens.length < samples && (opens.length < 3 || performance.now() < deadline))
            opens.push(await measureOpen(rig, spa, OPEN_TIMEOUT_MS));
        } finally {
          if (flood) sent = await flood.stop();
        }
        const after = await spa.counterValues();
        const ok = opens
          .filter((o) => o.ok)
          .map((o) => o.ms)
          .sort((a, b) => a - b);
        const row: Row = {
          label: values.label,
          clients,
          size,
          rate,
          sentRate: Math.round(sent.rate),
          attempts: opens.length,
          opened: ok.length,
          within1s: ok.filter((ms) => ms <= 1000).length,
          p50: pct(ok, 0.5),
          p99: pct(ok, 0.99),
          daemon: counterDelta(before, after),
        };
        rows.push(row);
        process.stdout.write(`${JSON.stringify(row)}\n`);
        await sleep(1000);
      }
    } finally {
      await prober.stop().catch(() => {});
      await spa.stop().catch(() => {});
    }
  } finally {
    await lab.teardown();
    rmSync(tmp, { recursive: true, force: true });
  }
  process.stdout.write(
    '\n| code | fwknop clients | flood | sent/s | opened within 1 s (first send) | median | p99 |\n',
  );
  process.stdout.write('|---|---|---|---|---|---|---|\n');
  for (const r of rows) {
    const flood = r.rate > 0 ? `${r.size} B at ${r.rate / 1000}k/s` : 'none';
    process.stdout.write(
      `| ${r.label} | ${r.clients} | ${flood} | ${r.sentRate} | ${r.within1s}/${r.attempts} ` +
        `(${((100 * r.within1s) / Math.max(1, r.attempts)).toFixed(1)} %) | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms |\n`,
    );
  }
}

await main();
