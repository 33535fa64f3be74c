// Manual measurement (not a test): does a UDP flood at the filtered port starve the event loop?
//   FLOODERS=2 WORK_US=0 node packages/server/dist/test/capture/_flood-measure.js run      (as root)
// Creates a namespace with a veth pair, starts a capturing process (PcapSource on one end, a 10 ms interval timer
// recording the worst gap) and FLOODERS processes (pcap_sendpacket on the other end, tight loop,
// several seconds), once with shedding disabled and once with the default budgets.
// The numbers go into the header comment of src/capture/pcap-source.ts.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { buildFilter } from '../../src/capture/bpf.js';
import {
  DEFAULT_MAX_PACKETS_PER_TURN,
  DEFAULT_MAX_TURN_MS,
  PcapSource,
} from '../../src/capture/pcap-source.js';
import { ETHERTYPE, ethernet, ipv4, PROTO, udp } from './_frames.js';

const SELF = fileURLToPath(import.meta.url);
const FLOOD_SECONDS = 4;
const FLOODERS = Number(process.env.FLOODERS ?? 2);
const WORK_US = Number(process.env.WORK_US ?? 0);

async function capture(shed: boolean): Promise<void> {
  const maxPacketsPerTurn = shed ? DEFAULT_MAX_PACKETS_PER_TURN : Number.MAX_SAFE_INTEGER;
  const maxTurnMs = shed ? DEFAULT_MAX_TURN_MS : Number.POSITIVE_INFINITY;
  let packets = 0;
  let overload = 0;
  let otherRejects = 0;
  // Longest burst: first to last frame handled without the event loop turning (setImmediate).
  let burstStart = -1;
  let burstLast = 0;
  let worstBurst = 0;
  const inBurst = () => {
    const now = performance.now();
    burstLast = now;
    if (burstStart >= 0) return;
    burstStart = now;
    setImmediate(() => {
      worstBurst = Math.max(worstBurst, burstLast - burstStart);
      burstStart = -1;
    });
  };
  const source = new PcapSource({
    interfaces: ['fl-b'],
    filter: buildFilter({ spaPorts: [40001] }),
    maxPacketsPerTurn,
    maxTurnMs,
  });
  source.start(
    () => {
      inBurst();
      packets++;
      // Simulated per-packet verification cost (busy wait), WORK_US µs.
      if (WORK_US > 0) {
        const until = performance.now() + WORK_US / 1000;
        while (performance.now() < until) {}
      }
    },
    (r) => {
      inBurst();
      if (r === 'overload') overload++;
      else otherRejects++;
    },
  );
  let last = performance.now();
  let worstGap = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worstGap = Math.max(worstGap, now - last);
    last = now;
    ticks++;
  }, 10);
  process.stdout.write('ready\n');
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, (FLOOD_SECONDS + 2) * 1000));
  clearInterval(timer);
  source.stop();
  const seconds = (performance.now() - start) / 1000;
  process.stdout.write(
    `${JSON.stringify({ shed, workUs: WORK_US, seconds, packets, overload, otherRejects, worstGapMs: worstGap, worstBurstMs: worstBurst, ticks })}\n`,
  );
  process.exit(0);
}

function flood(): void {
  type RawCap = { open(d: string, f: string, s: number, b: Buffer): string; send(b: Buffer): void };
  const { Cap } = createRequire(import.meta.url)('cap') as { Cap: new () => RawCap };
  const cap = new Cap();
  const keep = Buffer.alloc(65536);
  cap.open('fl-a', 'ether proto 0x88b5', 1 << 20, keep);
  const frame = Buffer.from(
    ethernet(
      ETHERTYPE.IPV4,
      ipv4(udp(1, 40001, new Uint8Array(120)), { protocol: PROTO.UDP, dst: '127.0.0.1' }),
    ),
  );
  const end = Date.now() + FLOOD_SECONDS * 1000;
  let sent = 0;
  while (Date.now() < end) {
    for (let i = 0; i < 1000; i++) cap.send(frame);
    sent += 1000;
  }
  process.stdout.write(`${JSON.stringify({ sent, perSecond: Math.round(sent / FLOOD_SECONDS) })}\n`);
  process.exit(0);
}

async function measure(ns: string, shed: boolean): Promise<void> {
  const cap = spawn('ip', [
    'netns',
    'exec',
    ns,
    process.execPath,
    SELF,
    'capture',
    shed ? 'shed' : 'no-shed',
  ]);
  let out = '';
  cap.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  cap.stderr.pipe(process.stderr);
  const started = await new Promise<boolean>((resolve) => {
    cap.on('exit', () => resolve(false));
    const check = () => (out.includes('ready') ? resolve(true) : setTimeout(check, 20));
    check();
  });
  if (!started) throw new Error('capture process exited before it was ready');
  const flooders = Array.from({ length: FLOODERS }, () => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, SELF, 'flood']);
    let text = '';
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString();
    });
    return new Promise<string>((resolve) => child.on('exit', () => resolve(text.trim())));
  });
  const floodReports = await Promise.all(flooders);
  await new Promise((resolve) => cap.on('exit', resolve));
  process.stdout.write(`flood:   ${floodReports.join(' ')}\ncapture: ${out.split('\n')[1] ?? out}\n`);
}

const role = process.argv[2];
if (role === 'capture') await capture(process.argv[3] === 'shed');
else if (role === 'flood') flood();
else if (role === 'run') {
  const ns = `spa-flood-${process.pid}-${randomBytes(3).toString('hex')}`;
  spawnSync('ip', ['netns', 'add', ns]);
  // veth, not lo: lo's 64 KiB MTU makes every ring slot 64 KiB (a 10 MiB ring holds ~160 frames).
  for (const args of [
    ['link', 'add', 'fl-a', 'type', 'veth', 'peer', 'name', 'fl-b'],
    ['addr', 'add', '10.98.0.2/24', 'dev', 'fl-b'],
    ['link', 'set', 'fl-a', 'up'],
    ['link', 'set', 'fl-b', 'up'],
  ]) {
    spawnSync('ip', ['-n', ns, ...args]);
  }
  try {
    process.stdout.write('--- shedding off\n');
    await measure(ns, false);
    process.stdout.write(
      `--- shedding at ${DEFAULT_MAX_PACKETS_PER_TURN} packets or ${DEFAULT_MAX_TURN_MS} ms per turn\n`,
    );
    await measure(ns, true);
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}
