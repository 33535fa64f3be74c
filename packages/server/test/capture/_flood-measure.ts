// Manual measurement (not a test): does a UDP flood at the filtered port starve the event loop?
//   node packages/server/dist/test/capture/_flood-measure.js            (as root)
// Creates a namespace, starts a capturing process (PcapSource on lo, a 10 ms interval timer
// recording the worst gap) and a flooding process (pcap_sendpacket of one frame in a tight loop,
// several seconds), once with shedding disabled and once with the default maxPacketsPerTurn.
// The numbers go into the header comment of src/capture/pcap-source.ts.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { buildFilter } from '../../src/capture/bpf.js';
import { DEFAULT_MAX_PACKETS_PER_TURN, PcapSource } from '../../src/capture/pcap-source.js';
import { ETHERTYPE, ethernet, ipv4, PROTO, udp } from './_frames.js';

const SELF = fileURLToPath(import.meta.url);
const FLOOD_SECONDS = 4;

async function capture(maxPacketsPerTurn: number): Promise<void> {
  let packets = 0;
  let overload = 0;
  let otherRejects = 0;
  const source = new PcapSource({
    interfaces: ['lo'],
    filter: buildFilter({ spaPorts: [40001] }),
    maxPacketsPerTurn,
  });
  source.start(
    () => {
      packets++;
    },
    (r) => {
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
    `${JSON.stringify({ maxPacketsPerTurn, seconds, packets, overload, otherRejects, worstGapMs: worstGap, ticks })}\n`,
  );
  process.exit(0);
}

function flood(): void {
  type RawCap = { open(d: string, f: string, s: number, b: Buffer): string; send(b: Buffer): void };
  const { Cap } = createRequire(import.meta.url)('cap') as { Cap: new () => RawCap };
  const cap = new Cap();
  const keep = Buffer.alloc(65536);
  cap.open('lo', 'ether proto 0x88b5', 1 << 20, keep);
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

async function measure(ns: string, maxPacketsPerTurn: number): Promise<void> {
  const cap = spawn('ip', [
    'netns',
    'exec',
    ns,
    process.execPath,
    SELF,
    'capture',
    String(maxPacketsPerTurn),
  ]);
  let out = '';
  cap.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await new Promise<void>((resolve) => {
    const check = () => (out.includes('ready') ? resolve() : setTimeout(check, 20));
    check();
  });
  const flooder = spawnSync('ip', ['netns', 'exec', ns, process.execPath, SELF, 'flood'], {
    encoding: 'utf8',
  });
  await new Promise((resolve) => cap.on('exit', resolve));
  process.stdout.write(`flood:   ${flooder.stdout.trim()}\ncapture: ${out.split('\n')[1] ?? out}\n`);
}

const role = process.argv[2];
if (role === 'capture') await capture(Number(process.argv[3]));
else if (role === 'flood') flood();
else if (role === 'run') {
  const ns = `spa-flood-${process.pid}-${randomBytes(3).toString('hex')}`;
  spawnSync('ip', ['netns', 'add', ns]);
  spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  try {
    process.stdout.write('--- shedding off\n');
    await measure(ns, Number.MAX_SAFE_INTEGER);
    process.stdout.write(`--- maxPacketsPerTurn ${DEFAULT_MAX_PACKETS_PER_TURN}\n`);
    await measure(ns, DEFAULT_MAX_PACKETS_PER_TURN);
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}
