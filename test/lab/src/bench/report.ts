/**
 * The report: benchmarks.md (machine, method, table, goals) and benchmarks.svg next to it;
 * outside docs/ also benchmarks.json with every number (what the smoke test reads).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkGoals } from './goals.js';
import type { BenchResults } from './results.js';
import { fmtInt, fmtMs, fmtPct } from './stats.js';
import { renderSvg } from './svg.js';
import { HEADER, type Row, rows } from './table.js';

const DOCS_DIR = resolve(new URL('../../../../docs/', import.meta.url).pathname);
const COLUMNS: (keyof Row)[] = ['measure', 'system', 'min', 'p50', 'p99', 'n', 'note'];

function mdTable(all: Row[]): string[] {
  const line = (r: Row) => `| ${COLUMNS.map((c) => r[c].replace(/\|/g, '\\|')).join(' | ')} |`;
  return [
    line(HEADER),
    `|${COLUMNS.map((c) => (['min', 'p50', 'p99', 'n'].includes(c) ? '---:' : '---')).join('|')}|`,
    ...all.map(line),
  ];
}

const METHOD = [
  '- **Lab.** One network-namespace lab (`test/lab`): hosts `server` 192.0.2.1, `client` 192.0.2.2 (plus source addresses 192.0.2.16 and up), `attacker` 192.0.2.3, joined by a bridge; no packet leaves it. spa-server (defaults from `spa-server init`: rotating knock port, 30 s steps, nftables) guards tcp/22 and fwknopd (its defaults: libpcap on udp/62201 polled every 100 ms, iptables) guards tcp/2222 on the *same* server host, each in front of the same TCP service.',
  '- **Open latency (1, 2).** One prober process in the client namespace, the same code for both: it sends the SPA datagram (spa: sealed by the client library; fwknop: made by the real `fwknop` client with `--test --save-packet`) and from that moment tries a TCP connect to the guarded port every 0.25 ms for the first 25 ms, then every 1 ms, until one is accepted (so the resolution is 0.25 ms where spa opens and 1 ms beyond). Each sample uses its own source address and first checks that the port is still closed for it, so no grant of an earlier sample helps. A sample that does not open within 2.5 s is a failure.',
  '- **Floods (2, 3, 4).** A small C sender (`test/lab/src/bench/flood.c`, sendmmsg; raw socket for spoofed sources) on the attacker host sends random datagrams of the system\'s own SPA size (spa: 336 random bytes; fwknop: random base64 of its packet length) at a set rate, bounded in count and time. "max" is as fast as it can on this machine, sharing the CPUs with both daemons. The flood "at the current knock ports" is aimed at exactly the ports spa watches (steps T-1, T, T+1) and restarted with the new ports at every 30 s step, as an attacker holding the server secret would do.',
  '- **CPU (3).** utime+stime of the daemon (per-thread schedstat, ns resolution) during a flood of known count, minus its idle CPU over the same wall time, divided by the packets sent (for spa also by the packets its own counters say it read).',
  '- **Memory (4).** VmRSS of the daemon idle (after start-up) and every second through a long flood from spoofed random sources (for spa, half datagrams at the watched knock ports and half TCP SYNs across the one-time sequence range, to fill per-source tables), with a legit open every 0.5 s.',
  "- **Scaling (5).** In-process: the server's verify path (`verifyKnock` over the lookup table for the ±30 s window) with 1, 1,000 and 10,000 clients; config load through the server's `loadConfig` on a generated file.",
  '- **Client start-up (6).** Wall time of `spa-client open ssh --no-wait`, process start to exit, run inside the client namespace.',
];

const FWKNOP_WHY =
  'Why fwknopd is slower and falls over under a flood (its defaults, as packaged): it polls libpcap and ' +
  'sleeps 100 ms between polls (PCAP_LOOP_SLEEP), so a packet waits up to 100 ms before it is read; it ' +
  'then runs `iptables` as a separate process for the rule (and to check rule expiry). Each forged packet ' +
  'costs it an HMAC check and two log lines ("Error creating fko context ... HMAC_COMPAREFAIL"); once a ' +
  'flood arrives faster than it drains its capture buffer between polls, the legit packet waits behind ' +
  'the flood or is dropped with it. Because its port is fixed, every attacker knows where to aim.';

const share = (n: number, d: number) => (d > 0 ? n / d : Number.NaN);

/** Plain-language comparison lines computed from the results. */
export function findings(r: BenchResults): string[] {
  const out: string[] = [];
  const spa = r.latency.find((l) => l.system === 'spa');
  const fw = r.latency.find((l) => l.system === 'fwknop');
  if (spa && fw && spa.summary.n && fw.summary.n) {
    out.push(
      `**Open latency:** spa median ${fmtMs(spa.summary.p50)} ms (p99 ${fmtMs(spa.summary.p99)} ms), ` +
        `fwknopd median ${fmtMs(fw.summary.p50)} ms (p99 ${fmtMs(fw.summary.p99)} ms): spa opens about ` +
        `${Math.round(fw.summary.p50 / spa.summary.p50)}× sooner.`,
    );
  }
  const byScenario = (sc: string) => r.flood.filter((f) => f.scenario === sc);
  const describe = (list: typeof r.flood) =>
    list
      .map(
        (f) =>
          `${f.rate === 'max' ? `max (${fmtInt(f.sentRate)}/s)` : `${fmtInt(f.rate)}/s`} ${fmtPct(share(f.openedWithin1s, f.attempts))}`,
      )
      .join(', ');
  if (r.flood.length) {
    out.push(
      `**Opens within 1 s under a flood:** fwknopd (flood at its port): ${describe(byScenario('fixed-port'))}. ` +
        `spa, flood at a stale knock port: ${describe(byScenario('stale-port'))}. ` +
        `spa, flood at the current knock ports: ${describe(byScenario('current-port'))}.`,
    );
  }
  const cpuAt = (sys: string, rate: number) => r.cpu.find((c) => c.system === sys && c.rate === rate);
  const fwCpu = cpuAt('fwknop', 1000);
  const spaCpu = cpuAt('spa', 1000);
  const spaTop = r.cpu.filter((c) => c.system === 'spa').sort((a, b) => b.rate - a.rate)[0];
  if (fwCpu && spaCpu && spaTop) {
    out.push(
      `**CPU per forged packet:** at 1,000/s fwknopd ${fwCpu.usPerPacket.toFixed(1)} µs, spa ${spaCpu.usPerPacket.toFixed(1)} µs ` +
        `(each packet wakes it); at ${fmtInt(spaTop.rate)}/s spa ${spaTop.usPerPacket.toFixed(1)} µs per packet sent` +
        (spaTop.handled
          ? ` (${((spaTop.cpuMs * 1000) / spaTop.handled).toFixed(1)} µs per packet it read)`
          : '') +
        '. At low rates fwknopd spends less CPU per packet than spa; it fails under a flood because it reads ' +
        'packets only between 100 ms sleeps, not for lack of CPU.',
    );
  }
  const ms = r.memory.find((m) => m.system === 'spa');
  const mf = r.memory.find((m) => m.system === 'fwknop');
  if (ms && mf) {
    out.push(
      `**Memory:** spa ${ms.idleMb.toFixed(0)} MB idle, ${ms.endMb.toFixed(0)} MB after the flood (peak ${ms.maxMb.toFixed(0)}); ` +
        `fwknopd ${mf.idleMb.toFixed(1)} → ${mf.endMb.toFixed(1)} MB. A C daemon is far smaller; spa pays for Node.`,
    );
  }
  return out;
}

/** Things in the numbers a reader would otherwise stumble on. */
export function anomalies(r: BenchResults): string[] {
  const out: string[] = [];
  const doubled = [
    ...r.cpu
      .filter((c) => c.handled !== undefined && c.handled > c.packets * 1.01)
      .map((c) => `CPU at ${fmtInt(c.rate)}/s`),
    ...r.flood
      .filter((f) => f.daemon?.client !== undefined && f.daemon.client > f.sent * 1.01)
      .map((f) => `flood ${f.rate === 'max' ? 'max' : fmtInt(f.rate)} at the current ports`),
  ];
  if (doubled.length) {
    out.push(
      `spa counted more packets than were sent (${doubled.join('; ')}): the capture keeps one handle and ` +
        'changes its filter in place, so no packet is delivered twice by the capture; look for another sender ' +
        'in the lab or a counter read at the wrong moment.',
    );
  }
  return out;
}

export function renderMarkdown(r: BenchResults, svgName: string): string {
  const m = r.machine;
  const goals = checkGoals(r);
  const mark = (met: boolean | undefined) =>
    met === undefined ? 'not measured' : met ? '**met**' : '**missed**';
  const out: string[] = [
    '# Benchmarks: spa-server and fwknopd side by side',
    '',
    `Generated by \`npm run bench\`${r.quick ? ' **in quick mode (smoke run: few samples, short floods — not for comparison)**' : ''} on ${m.date.replace('T', ' ').slice(0, 19)} UTC, in ${Math.round(r.durationS)} s. Both systems run on the same hosts, get the same traffic and are measured by the same code in the same run. Benchmarks are not tests: no number here fails CI.`,
    '',
    '## Machine',
    '',
    '| | |',
    '|---|---|',
    `| CPU | ${m.cpu}, ${m.cores} cores |`,
    `| memory | ${m.memoryGb} GB |`,
    `| kernel | Linux ${m.kernel} |`,
    `| node | ${m.node} |`,
    `| spa | spa-server ${m.spa} |`,
    `| fwknop | fwknopd ${m.fwknop} (Debian package) |`,
    `| load average (1 min) at start / end | ${m.loadAtStart.toFixed(2)} / ${(m.loadAtEnd ?? Number.NaN).toFixed(2)} (other work on the machine makes numbers noisy) |`,
    '',
    `![open latency and opens under flood, spa vs fwknopd](${svgName})`,
    '',
    ...(r.latency.length || r.flood.length
      ? ['## What the numbers say', '', ...findings(r).map((l) => `- ${l}`), '', FWKNOP_WHY, '']
      : []),
    '## Results',
    '',
    ...mdTable(rows(r)),
    '',
    '## Goals (spa)',
    '',
    '| # | goal | this run | |',
    '|---|---|---|---|',
    ...goals.map((g) => `| ${g.id} | ${g.goal} | ${g.value.replace(/\|/g, '\\|')} | ${mark(g.met)} |`),
    '',
  ];
  const missed = goals.filter((g) => g.met === false);
  if (missed.length) {
    out.push('### Missed goals: what limits them, what would lift them', '');
    for (const g of missed) out.push(`- **${g.id}. ${g.goal}.** ${g.whenMissed}`);
    out.push('');
  }
  out.push('## How it is measured', '', ...METHOD, '');
  const notes = [...r.notes, ...anomalies(r)];
  if (notes.length) out.push('## Notes from this run', '', ...notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}

/**
 * Sections measured by other drivers (e.g. ./fwknop-port.ts), kept across regenerations:
 * everything from the KEPT_MARKER line on.
 */
export const KEPT_MARKER = '<!-- kept across npm run bench: measured by other drivers -->';

function keptSections(md: string): string {
  const old = existsSync(md) ? readFileSync(md, 'utf8') : '';
  const at = old.indexOf(KEPT_MARKER);
  return at < 0 ? '' : `\n${old.slice(at)}`;
}

/** Writes the report into `dir`; returns the markdown's path. */
export function writeReport(r: BenchResults, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const md = join(dir, 'benchmarks.md');
  writeFileSync(join(dir, 'benchmarks.svg'), renderSvg(r));
  writeFileSync(md, renderMarkdown(r, 'benchmarks.svg') + keptSections(md));
  if (resolve(dir) !== DOCS_DIR)
    writeFileSync(join(dir, 'benchmarks.json'), JSON.stringify(r, null, 2) + '\n');
  return md;
}
