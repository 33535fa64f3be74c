// Child process for pcap-source.test.ts, run inside a fresh network namespace as root:
//   ip netns exec NS node --expose-gc _pcap-child.js SCENARIO
// Runs one scenario against a real PcapSource and prints one JSON line with what it saw.
// Frames are injected with a second libpcap handle (pcap_sendpacket, synchronous), so a test
// can place packets exactly before/after a call; real sockets are used where that matters.

import { createSocket } from 'node:dgram';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildFilter } from '../../src/capture/bpf.js';
import { CaptureError } from '../../src/capture/errors.js';
import type { CapturedPacket } from '../../src/capture/frame.js';
import type { CaptureReject } from '../../src/capture/packet-source.js';
import { PcapSource } from '../../src/capture/pcap-source.js';
import { bytes, ETHERTYPE, ethernet, ipv4, ipv6, PROTO, TCP_FLAGS, tcp, udp } from './_frames.js';

interface Seen {
  family: number;
  src: string;
  dst: string;
  protocol: string;
  srcPort: number;
  dstPort: number;
  payload: string;
}

const packets: Seen[] = [];
const rejects: CaptureReject[] = [];
const onPacket = (p: CapturedPacket) => {
  packets.push({
    family: p.family,
    src: p.srcAddress,
    dst: p.dstAddress,
    protocol: p.protocol,
    srcPort: p.srcPort,
    dstPort: p.dstPort,
    payload: Buffer.from(p.payload).toString('utf8'),
  });
};
const onReject = (r: CaptureReject) => {
  rejects.push(r);
};

type RawCap = {
  open(d: string, f: string, s: number, b: Buffer): string;
  send(b: Buffer): void;
  close(): boolean;
};
const keep: unknown[] = [];
function injector(device: string): (frame: Uint8Array) => void {
  const { Cap } = createRequire(import.meta.url)('cap') as { Cap: new () => RawCap };
  const cap = new Cap();
  const buffer = Buffer.alloc(65536);
  keep.push(cap, buffer);
  cap.open(device, 'ether proto 0x88b5', 1 << 20, buffer); // matches nothing we send
  return (frame) => cap.send(Buffer.from(frame));
}

/** Sends 'live' to port 41000 every 10 ms until the capture has it (at most 2 s). */
async function captureLive(inject: (frame: Uint8Array) => void): Promise<void> {
  const seen = () => packets.some((p) => p.payload === 'live');
  for (let i = 0; i < 200 && !seen(); i++) {
    inject(v4udp(41000, 'live'));
    await sleep(10);
  }
  if (!seen()) throw new Error('the capture saw no frame within 2 s of opening');
}

/** Drops the probes of captureLive from what the scenario reports. */
function forgetLive(): void {
  for (let i = packets.length - 1; i >= 0; i--) if (packets[i]!.payload === 'live') packets.splice(i, 1);
}

const v4udp = (port: number, text: string, src = '10.0.0.7') =>
  ethernet(
    ETHERTYPE.IPV4,
    ipv4(udp(33333, port, Buffer.from(text)), { protocol: PROTO.UDP, src, dst: '127.0.0.1' }),
  );

function sendUdp(host: string, port: number, text: string): Promise<void> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  return new Promise((resolve, reject) =>
    socket.send(Buffer.from(text), port, host, (err) => {
      socket.close();
      if (err) reject(err);
      else resolve();
    }),
  );
}

function knockTcp(host: string, port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.on('error', () => resolve()); // ECONNREFUSED: the SYN went out
    s.on('connect', () => {
      s.destroy();
      resolve();
    });
  });
}

const SPA = [40001];
const scenarios: Record<string, () => Promise<Record<string, unknown>>> = {
  async basic() {
    const source = new PcapSource({ interfaces: ['lo'], filter: buildFilter({ spaPorts: SPA }) });
    source.start(onPacket, onReject);
    await sendUdp('127.0.0.1', 40001, 'hello');
    await sendUdp('127.0.0.1', 40002, 'other port');
    await sendUdp('::1', 40001, 'six');
    await sleep(300);
    source.stop();
    await sendUdp('127.0.0.1', 40001, 'after stop');
    await sleep(200);
    return {};
  },

  async sequence() {
    const filter = buildFilter({ spaPorts: SPA, sequence: { ranges: [[50000, 50010]], protocols: ['tcp'] } });
    const source = new PcapSource({ interfaces: ['lo'], filter });
    source.start(onPacket, onReject);
    const inject = injector('lo');
    await knockTcp('127.0.0.1', 50005);
    await knockTcp('::1', 50006);
    const v4 = (l4: Uint8Array) =>
      ethernet(ETHERTYPE.IPV4, ipv4(l4, { protocol: PROTO.TCP, dst: '127.0.0.1' }));
    const v6 = (l4: Uint8Array) => ethernet(ETHERTYPE.IPV6, ipv6(l4, { nextHeader: PROTO.TCP, dst: '::1' }));
    inject(v4(tcp(1, 50005, TCP_FLAGS.SYN | TCP_FLAGS.ACK))); // filtered out in the kernel
    inject(v6(tcp(1, 50005, TCP_FLAGS.ACK))); // filtered out
    inject(v4(tcp(1, 50011, TCP_FLAGS.SYN))); // filtered out
    inject(v6(tcp(2, 50010, TCP_FLAGS.SYN))); // delivered
    // Pass the filter, rejected by the parser:
    inject(ethernet(ETHERTYPE.IPV4, ipv4(udp(1, 40001, [1, 2, 3], 200), { protocol: PROTO.UDP })));
    inject(
      ethernet(ETHERTYPE.IPV4, ipv4(udp(1, 40001, [1]), { protocol: PROTO.UDP, flagsFragment: 0x2000 })),
    );
    await sleep(300);
    source.stop();
    return {};
  },

  async switch() {
    // In place (pcap_setfilter): frames already in the ring are re-filtered with the new filter.
    const source = new PcapSource({ interfaces: ['lo'], filter: buildFilter({ spaPorts: [40001, 40002] }) });
    source.start(onPacket, onReject);
    const inject = injector('lo');
    inject(v4udp(40002, 'x before, in both'));
    inject(v4udp(40001, 'a before, old only'));
    source.setFilter(buildFilter({ spaPorts: [40002, 40003] }));
    inject(v4udp(40002, 'y after, in both'));
    inject(v4udp(40003, 'z after, new only'));
    inject(v4udp(40001, 'b after, old only'));
    await sendUdp('127.0.0.1', 40003, 'u after, real socket');
    await sleep(100);
    source.setFilter(buildFilter({ spaPorts: [40004] }));
    source.setFilter(buildFilter({ spaPorts: [40005] }));
    inject(v4udp(40005, 'v after double switch'));
    inject(v4udp(40004, 'd dropped filter'));
    await sleep(200);
    source.stop();
    return { handlesOpened: source.handlesOpened };
  },

  async bounded() {
    // 50 frames queued while the loop is busy, at most 10 handled per wake-up: the event loop
    // runs (setImmediate) after the first 10, and the rest follow on later turns.
    const source = new PcapSource({
      interfaces: ['lo'],
      filter: buildFilter({ spaPorts: SPA }),
      testSeams: { maxPerDispatch: 10 },
    });
    let turn = 0;
    const perTurn: number[] = [];
    source.start((p) => {
      perTurn[turn] = (perTurn[turn] ?? 0) + 1;
      onPacket(p);
    }, onReject);
    const inject = injector('lo');
    for (let i = 0; i < 50; i++) inject(v4udp(40001, `burst ${i}`));
    const tick = () => {
      turn++;
      if (turn < 200) setImmediate(tick);
    };
    setImmediate(tick);
    await sleep(300);
    source.stop();
    return { perTurn: perTurn.filter((n) => n !== undefined) };
  },

  async any() {
    const source = new PcapSource({ interfaces: ['any'], filter: buildFilter({ spaPorts: SPA }) });
    source.start(onPacket, onReject);
    await sendUdp('127.0.0.1', 40001, 'via any');
    await sleep(300);
    source.stop();
    return {};
  },

  async multi() {
    const source = new PcapSource({ interfaces: ['lo', 'spa-vb'], filter: buildFilter({ spaPorts: SPA }) });
    source.start(onPacket, onReject);
    injector('lo')(v4udp(40001, 'on lo'));
    const onVeth = ethernet(
      ETHERTYPE.IPV4,
      ipv4(udp(5, 40001, Buffer.from('on veth')), {
        protocol: PROTO.UDP,
        src: '192.0.2.1',
        dst: '192.0.2.2',
      }),
    );
    onVeth.fill(0xff, 0, 6); // broadcast destination MAC
    injector('spa-va')(onVeth); // sent on one end, captured on the peer
    await sleep(100); // read before the switch (frames still in the ring are re-filtered)
    source.setFilter(buildFilter({ spaPorts: [40009] }));
    await sleep(300);
    injector('spa-va')(bytes(onVeth.subarray(0, 36), [0x9c, 0x49], onVeth.subarray(38))); // port 40009
    await sleep(300);
    source.stop();
    return { handlesOpened: source.handlesOpened };
  },

  async noperm() {
    // Run with dropped privileges (setpriv): libpcap cannot open a packet socket.
    const errors: Array<Record<string, unknown>> = [];
    try {
      new PcapSource({ interfaces: ['lo'], filter: buildFilter({ spaPorts: SPA }) }).start(onPacket);
    } catch (err) {
      const e = err as CaptureError;
      errors.push({ typed: err instanceof CaptureError, code: e.code, message: e.message, hint: e.hint });
    }
    (globalThis as { gc?: () => void }).gc?.();
    await sleep(50);
    return { errors };
  },

  async churn() {
    // A filter change per "step", with forced GC in between: one handle for the whole run, and
    // each step's frame delivered exactly once.
    const source = new PcapSource({ interfaces: ['lo'], filter: buildFilter({ spaPorts: [41000] }) });
    source.start(onPacket, onReject);
    const inject = injector('lo');
    // A frame sent within the first milliseconds of a fresh handle is sometimes not captured
    // (seen 4 of 15 runs with 'step 1' missing; none with the handle given 50 ms). That start-up
    // window is not what this test is about: wait until a frame is seen (bounded), then drop it.
    await captureLive(inject);
    const gc = (globalThis as { gc?: () => void }).gc;
    for (let i = 1; i <= 50; i++) {
      source.setFilter(buildFilter({ spaPorts: [41000 + i] }));
      inject(v4udp(41000 + i, `step ${i}`));
      inject(v4udp(41000 + i - 1, `stale ${i - 1}`));
      await sleep(5);
      gc?.();
    }
    await sleep(100);
    source.stop();
    forgetLive();
    return { handlesOpened: source.handlesOpened };
  },

  async promisc() {
    // The default capture does not switch the interface to promiscuous mode.
    const source = new PcapSource({ interfaces: ['spa-vb'], filter: buildFilter({ spaPorts: SPA }) });
    source.start(onPacket, onReject);
    const promiscuity = (await import('node:child_process'))
      .execFileSync('ip', ['-d', 'link', 'show', 'spa-vb'], { encoding: 'utf8' })
      .match(/promiscuity (\d+)/)?.[1];
    const opted = new PcapSource({
      interfaces: ['spa-vb'],
      filter: buildFilter({ spaPorts: SPA }),
      testSeams: { promiscuous: true },
    });
    opted.start(onPacket, onReject);
    const promiscuityOptedIn = (await import('node:child_process'))
      .execFileSync('ip', ['-d', 'link', 'show', 'spa-vb'], { encoding: 'utf8' })
      .match(/promiscuity (\d+)/)?.[1];
    opted.stop();
    source.stop();
    return { promiscuity, promiscuityOptedIn };
  },

  async failures() {
    const errors: Array<Record<string, unknown>> = [];
    const attempt = (what: string, fn: () => void) => {
      try {
        fn();
        errors.push({ what, thrown: false });
      } catch (err) {
        const e = err as CaptureError;
        errors.push({
          what,
          thrown: true,
          typed: err instanceof CaptureError,
          code: e.code,
          message: e.message,
          hint: e.hint,
        });
      }
    };
    const filter = buildFilter({ spaPorts: SPA });
    attempt('no such interface', () => new PcapSource({ interfaces: ['spa-nope0'], filter }).start(onPacket));
    attempt('bad filter', () =>
      new PcapSource({ interfaces: ['lo'], filter: 'udp and dst port (' }).start(onPacket),
    );
    attempt('second of two fails', () =>
      new PcapSource({ interfaces: ['lo', 'spa-nope1'], filter }).start(onPacket),
    );
    attempt('empty filter', () => new PcapSource({ interfaces: ['lo'], filter: ' ' }));
    const running = new PcapSource({ interfaces: ['lo'], filter });
    running.start(onPacket, onReject);
    attempt('start twice', () => running.start(onPacket));
    attempt('setFilter with a bad filter', () => running.setFilter('tcp and and'));
    // Failed Cap objects must survive garbage collection (collecting one aborts the process).
    for (let i = 0; i < 5; i++) {
      (globalThis as { gc?: () => void }).gc?.();
      await sleep(50);
    }
    await sendUdp('127.0.0.1', 40001, 'old filter still works');
    await sleep(300);
    running.stop();
    running.stop(); // idempotent
    return { errors, gcAvailable: typeof (globalThis as { gc?: unknown }).gc === 'function' };
  },
};

const name = process.argv[2];
const scenario = name === undefined ? undefined : scenarios[name];
if (scenario !== undefined) {
  const extra = await scenario();
  process.stdout.write(`${JSON.stringify({ scenario: name, packets, rejects, ...extra })}\n`);
  process.exit(0); // injector handles stay open otherwise
} else if (name !== undefined) {
  process.stderr.write(`unknown scenario ${name}\n`);
  process.exit(2);
}
