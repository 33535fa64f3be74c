/**
 * docs/benchmarks.svg, hand-written: (1) open latency without a flood, spa and fwknopd on one
 * log scale (dots = samples, box = quartiles, whiskers = min–max, tick = median); (2) share of
 * legit opens within 1 s under each flood rate, with the median latency over each bar; (3) RSS of
 * both daemons through the long flood.
 */
import type { BenchResults, FloodResult, Scenario } from './results.js';
import { fmtMs, percentile } from './stats.js';
import type { SystemName } from './system.js';

const W = 920;
const MEMORY_GOAL_MB = 60;
const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';
const COLOR: Record<SystemName, string> = { spa: '#1f6fb2', fwknop: '#c0392b' };
const BAR: Record<Scenario, { color: string; label: string }> = {
  'fixed-port': { color: '#c0392b', label: 'fwknopd, flood at its port 62201' },
  'stale-port': { color: '#7fb3e0', label: 'spa, flood at a stale knock port (attacker without the secret)' },
  'current-port': {
    color: '#1f6fb2',
    label: 'spa, flood at the current knock ports (attacker with the secret)',
  },
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const text = (x: number, y: number, s: string, attrs = '') =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`;

/** Deterministic jitter so the chart does not change between renders of the same data. */
const jitter = (i: number) => ((i * 0.618034) % 1) - 0.5;

function latencyPanel(r: BenchResults, top: number): { svg: string; height: number } {
  const left = 170;
  const right = W - 40;
  const lo = 0.1;
  const hi = 10_000;
  const x = (ms: number) =>
    left +
    ((Math.log10(Math.max(lo, Math.min(hi, ms))) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) *
      (right - left);
  const rowH = 56;
  const parts: string[] = [
    text(
      20,
      top + 18,
      '1. Open latency without a flood: SPA datagram sent → TCP connect accepted (log scale)',
      `${FONT} font-size="15" font-weight="bold"`,
    ),
  ];
  const axisY = top + 40 + rowH * r.latency.length;
  for (const t of [0.1, 1, 10, 100, 1000, 10_000]) {
    parts.push(
      `<line x1="${x(t)}" y1="${top + 34}" x2="${x(t)}" y2="${axisY}" stroke="#ddd"/>`,
      text(
        x(t),
        axisY + 16,
        t >= 1000 ? `${t / 1000} s` : `${t} ms`,
        `${FONT} font-size="12" text-anchor="middle" fill="#555"`,
      ),
    );
  }
  if (r.latencyFloor && Number.isFinite(r.latencyFloor.p50)) {
    const fx = x(r.latencyFloor.p50);
    parts.push(
      `<line x1="${fx}" y1="${top + 34}" x2="${fx}" y2="${axisY}" stroke="#888" stroke-dasharray="4 3"/>`,
      text(
        fx + 4,
        top + 44,
        `method floor ${fmtMs(r.latencyFloor.p50)} ms`,
        `${FONT} font-size="10.5" fill="#666"`,
      ),
    );
  }
  r.latency.forEach((l, i) => {
    const cy = top + 40 + rowH * i + rowH / 2;
    const c = COLOR[l.system];
    const s = [...l.values].sort((a, b) => a - b);
    parts.push(text(20, cy - 4, l.label, `${FONT} font-size="13" fill="${c}" font-weight="bold"`));
    parts.push(
      text(
        20,
        cy + 13,
        `median ${fmtMs(l.summary.p50)} ms, n=${l.summary.n}`,
        `${FONT} font-size="11" fill="#333"`,
      ),
    );
    if (s.length === 0) return;
    const q1 = percentile(s, 25);
    const q3 = percentile(s, 75);
    parts.push(
      `<line x1="${x(s[0]!)}" y1="${cy}" x2="${x(s[s.length - 1]!)}" y2="${cy}" stroke="${c}" stroke-width="1.5"/>`,
      `<rect x="${x(q1)}" y="${cy - 12}" width="${Math.max(1.5, x(q3) - x(q1))}" height="24" fill="${c}" fill-opacity="0.18" stroke="${c}"/>`,
      `<line x1="${x(l.summary.p50)}" y1="${cy - 15}" x2="${x(l.summary.p50)}" y2="${cy + 15}" stroke="${c}" stroke-width="3"/>`,
    );
    s.forEach((v, k) => {
      parts.push(
        `<circle cx="${x(v).toFixed(1)}" cy="${(cy + jitter(k) * 18).toFixed(1)}" r="2" fill="${c}" fill-opacity="0.6"/>`,
      );
    });
  });
  return { svg: parts.join('\n'), height: axisY + 30 - top };
}

function rateLabel(f: FloodResult): string {
  return f.rate === 'max' ? 'as fast as the sender can' : `${f.rate.toLocaleString('en-US')} packets/s`;
}

const kilo = (n: number) => (n >= 1000 ? `${Math.round(n / 1000)}k` : String(Math.round(n)));

function floodPanel(r: BenchResults, top: number): { svg: string; height: number } {
  const parts: string[] = [
    text(
      20,
      top + 18,
      '2. Legit opens within 1 s while the attacker floods forged packets',
      `${FONT} font-size="15" font-weight="bold"`,
    ),
    text(
      20,
      top + 36,
      'median open latency above each bar; packets/s the sender achieved below it',
      `${FONT} font-size="12" fill="#444"`,
    ),
  ];
  const rates = [...new Set(r.flood.map((f) => f.rate))];
  const left = 70;
  const right = W - 30;
  const plotTop = top + 52;
  const plotH = 200;
  const y = (share: number) => plotTop + plotH * (1 - share);
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(
      `<line x1="${left}" y1="${y(t)}" x2="${right}" y2="${y(t)}" stroke="${t === 0 ? '#888' : '#e3e3e3'}"/>`,
      text(left - 8, y(t) + 4, `${t * 100} %`, `${FONT} font-size="12" text-anchor="end" fill="#555"`),
    );
  }
  const groupW = (right - left) / Math.max(1, rates.length);
  const scenarios: Scenario[] = ['fixed-port', 'stale-port', 'current-port'];
  const barW = Math.min(60, (groupW - 30) / scenarios.length);
  rates.forEach((rate, g) => {
    const gx = left + groupW * g + (groupW - barW * scenarios.length) / 2;
    const any = r.flood.find((f) => f.rate === rate);
    if (any)
      parts.push(
        text(
          left + groupW * (g + 0.5),
          y(0) + 32,
          rateLabel(any),
          `${FONT} font-size="13" text-anchor="middle"`,
        ),
      );
    scenarios.forEach((sc, k) => {
      const f = r.flood.find((e) => e.rate === rate && e.scenario === sc);
      if (!f) return;
      const share = f.attempts ? f.openedWithin1s / f.attempts : 0;
      const bx = gx + k * barW;
      parts.push(
        `<rect x="${bx + 2}" y="${y(share)}" width="${barW - 4}" height="${Math.max(0, y(0) - y(share))}" fill="${BAR[sc].color}"/>`,
      );
      const label = f.opened ? `${fmtMs(f.summary.p50)} ms` : 'none';
      parts.push(
        text(
          bx + barW / 2,
          y(0) + 14,
          `${kilo(f.sentRate)}/s`,
          `${FONT} font-size="10" text-anchor="middle" fill="#666"`,
        ),
      );
      parts.push(
        text(
          bx + barW / 2,
          Math.min(y(share), y(0)) - 5,
          label,
          `${FONT} font-size="10.5" text-anchor="middle" fill="#222"`,
        ),
      );
    });
  });
  let ly = y(0) + 58;
  for (const sc of scenarios) {
    parts.push(
      `<rect x="${left}" y="${ly - 10}" width="14" height="12" fill="${BAR[sc].color}"/>`,
      text(left + 22, ly, BAR[sc].label, `${FONT} font-size="12.5"`),
    );
    ly += 20;
  }
  return { svg: parts.join('\n'), height: ly - top };
}

function memoryPanel(r: BenchResults, top: number): { svg: string; height: number } {
  const parts: string[] = [
    text(
      20,
      top + 18,
      '3. Resident memory (VmRSS) of each daemon through the long flood',
      `${FONT} font-size="15" font-weight="bold"`,
    ),
  ];
  const left = 70;
  const right = W - 220;
  const plotTop = top + 34;
  const plotH = 150;
  const maxS = Math.max(1, ...r.memory.flatMap((m) => m.points.map(([t]) => t)));
  const maxMb = Math.max(20, ...r.memory.flatMap((m) => m.points.map(([, mb]) => mb)));
  const yMax = Math.ceil(maxMb / 20) * 20;
  const x = (t: number) => left + (t / maxS) * (right - left);
  const y = (mb: number) => plotTop + plotH * (1 - mb / yMax);
  for (let mb = 0; mb <= yMax; mb += 20) {
    parts.push(
      `<line x1="${left}" y1="${y(mb)}" x2="${right}" y2="${y(mb)}" stroke="${mb === 0 ? '#888' : '#e3e3e3'}"/>`,
      text(left - 8, y(mb) + 4, `${mb} MB`, `${FONT} font-size="12" text-anchor="end" fill="#555"`),
    );
  }
  if (yMax >= MEMORY_GOAL_MB) {
    parts.push(
      `<line x1="${left}" y1="${y(MEMORY_GOAL_MB)}" x2="${right}" y2="${y(MEMORY_GOAL_MB)}" stroke="#2a9d4b" stroke-dasharray="6 4"/>`,
      text(
        right - 6,
        y(MEMORY_GOAL_MB) + 14,
        `spa goal ${MEMORY_GOAL_MB} MB`,
        `${FONT} font-size="10.5" text-anchor="end" fill="#2a9d4b"`,
      ),
    );
  }
  const stepS = maxS > 20 ? 10 : 1;
  for (let t = 0; t <= maxS; t += stepS) {
    parts.push(text(x(t), y(0) + 16, `${t} s`, `${FONT} font-size="11" text-anchor="middle" fill="#555"`));
  }
  r.memory.forEach((m, i) => {
    const c = COLOR[m.system];
    const path = m.points
      .map(([t, mb], k) => `${k ? 'L' : 'M'}${x(t).toFixed(1)},${y(mb).toFixed(1)}`)
      .join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${c}" stroke-width="2"/>`);
    const label = `${m.system === 'spa' ? 'spa-server' : 'fwknopd'}: ${m.idleMb.toFixed(1)} MB idle, ${m.endMb.toFixed(1)} at the end`;
    parts.push(
      text(
        right + 12,
        plotTop + 20 + i * 40,
        label.split(':')[0] ?? '',
        `${FONT} font-size="12.5" font-weight="bold" fill="${c}"`,
      ),
    );
    parts.push(
      text(
        right + 12,
        plotTop + 36 + i * 40,
        label.split(': ')[1] ?? '',
        `${FONT} font-size="11.5" fill="#333"`,
      ),
    );
  });
  return { svg: parts.join('\n'), height: plotH + 60 };
}

export function renderSvg(r: BenchResults): string {
  const m = r.machine;
  const title = `spa-server vs fwknopd, same lab, same run (${m.date.slice(0, 10)}, ${m.cores} cores, ${m.cpu})`;
  const p1 = latencyPanel(r, 40);
  const p2 = floodPanel(r, 40 + p1.height + 20);
  const p3top = 40 + p1.height + 20 + p2.height + 10;
  const p3 = r.memory.length ? memoryPanel(r, p3top) : { svg: '', height: 0 };
  const h = p3top + p3.height + 20;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" role="img">`,
    `<title>${escapeXml(title)}: open latency, opens under flood, resident memory</title>`,
    `<rect width="${W}" height="${h}" fill="#fff"/>`,
    text(20, 26, title, `${FONT} font-size="16" font-weight="bold"`),
    p1.svg,
    p2.svg,
    p3.svg,
    '</svg>',
    '',
  ].join('\n');
}

function escapeXml(t: string): string {
  return t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
