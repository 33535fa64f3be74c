import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { buildFilter, type FilterSpec, MAX_SEQUENCE_RANGES, MAX_SPA_PORTS } from '../../src/capture/bpf.js';
import { CaptureError } from '../../src/capture/errors.js';
import type { LinkType } from '../../src/capture/frame.js';
import { bytes, extHeader, ipv4, ipv6, nullLink, PROTO, TCP_FLAGS, tcp, udp, wrap } from './_frames.js';
import { LINKTYPE, readPcap, writePcap } from './_pcap-file.js';

const isRoot = process.getuid?.() === 0;
const inCI = process.env.CI === 'true';
const hasTcpdump = spawnSync('tcpdump', ['--version'], { encoding: 'utf8' }).status === 0;

describe('buildFilter: text', () => {
  test('SPA ports plus a TCP and UDP sequence range', () => {
    const filter = buildFilter({
      spaPorts: [62201, 62202, 62203],
      sequence: { ranges: [[50000, 59999]], protocols: ['tcp', 'udp'] },
    });
    assert.equal(
      filter,
      '(udp and dst port (62201 or 62202 or 62203))' +
        ' or (tcp and dst portrange 50000-59999 and' +
        ' ((ip and tcp[tcpflags] & (tcp-syn|tcp-ack|tcp-rst|tcp-fin) == tcp-syn)' +
        ' or (ip6 and ip6[53] & 0x17 == 0x02)))' +
        ' or (udp and dst portrange 50000-59999)',
    );
  });

  test('SPA ports only; duplicates removed, order kept', () => {
    assert.equal(buildFilter({ spaPorts: [7, 5, 7, 5] }), '(udp and dst port (7 or 5))');
  });

  test('sequence only, several ranges, a one-port range', () => {
    const filter = buildFilter({
      spaPorts: [],
      sequence: {
        ranges: [
          [1000, 1000],
          [2000, 2010],
        ],
        protocols: ['udp'],
      },
    });
    assert.equal(filter, '(udp and (dst port 1000 or dst portrange 2000-2010))');
  });

  test('extremes 1 and 65535 are valid', () => {
    assert.equal(buildFilter({ spaPorts: [1, 65535] }), '(udp and dst port (1 or 65535))');
  });
});

describe('buildFilter: invalid input throws CaptureError capture-filter-input', () => {
  const bad: Array<[string, FilterSpec]> = [
    ['nothing to capture', { spaPorts: [] }],
    ['port 0', { spaPorts: [0] }],
    ['port 65536', { spaPorts: [65536] }],
    ['negative port', { spaPorts: [-1] }],
    ['fractional port', { spaPorts: [1.5] }],
    ['NaN port', { spaPorts: [Number.NaN] }],
    ['Infinity port', { spaPorts: [Number.POSITIVE_INFINITY] }],
    ['string port', { spaPorts: ['22' as unknown as number] }],
    ['too many ports', { spaPorts: Array.from({ length: MAX_SPA_PORTS + 1 }, (_, i) => i + 1) }],
    ['empty ranges', { spaPorts: [1], sequence: { ranges: [], protocols: ['tcp'] } }],
    ['empty protocols', { spaPorts: [1], sequence: { ranges: [[1, 2]], protocols: [] } }],
    ['unknown protocol', { spaPorts: [1], sequence: { ranges: [[1, 2]], protocols: ['sctp' as 'tcp'] } }],
    ['low above high', { spaPorts: [1], sequence: { ranges: [[3, 2]], protocols: ['tcp'] } }],
    ['range end 0', { spaPorts: [1], sequence: { ranges: [[0, 2]], protocols: ['tcp'] } }],
    ['range end 70000', { spaPorts: [1], sequence: { ranges: [[1, 70000]], protocols: ['tcp'] } }],
    [
      'too many ranges',
      {
        spaPorts: [1],
        sequence: {
          ranges: Array.from({ length: MAX_SEQUENCE_RANGES + 1 }, (_, i) => [i + 1, i + 1] as const),
          protocols: ['tcp'],
        },
      },
    ],
  ];
  for (const [name, spec] of bad) {
    test(name, () => {
      assert.throws(
        () => buildFilter(spec),
        (err: unknown) =>
          err instanceof CaptureError && err.code === 'capture-filter-input' && err.hint.length > 0,
      );
    });
  }
});

const SHAPES: FilterSpec[] = [
  { spaPorts: [62201] },
  { spaPorts: [62201, 62202, 62203], sequence: { ranges: [[50000, 59999]], protocols: ['tcp', 'udp'] } },
  { spaPorts: [], sequence: { ranges: [[1, 1]], protocols: ['tcp'] } },
  {
    // The largest filter allowed: must stay well inside the kernel's 4096 BPF instructions.
    spaPorts: Array.from({ length: MAX_SPA_PORTS }, (_, i) => 60000 + i),
    sequence: {
      ranges: Array.from(
        { length: MAX_SEQUENCE_RANGES },
        (_, i) => [1000 * (i + 1), 1000 * (i + 1) + 99] as const,
      ),
      protocols: ['tcp', 'udp'],
    },
  },
];

describe('buildFilter: libpcap compiles every shape', () => {
  test('tcpdump -d (Ethernet), or a real cap handle on lo', (t) => {
    if (hasTcpdump) {
      for (const spec of SHAPES) {
        const r = spawnSync('tcpdump', ['-d', buildFilter(spec)], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        const instructions = r.stdout.trim().split('\n').length;
        assert.ok(instructions < 1000, `${instructions} BPF instructions`);
      }
      return;
    }
    if (!isRoot) {
      const why = 'needs tcpdump or root: cannot compile the BPF filter here';
      if (inCI) assert.fail(why);
      t.skip(why);
      return;
    }
    const { Cap } = createRequire(import.meta.url)('cap') as {
      Cap: new () => { open(d: string, f: string, s: number, b: Buffer): string; close(): boolean };
    };
    for (const spec of SHAPES) {
      const cap = new Cap();
      const buffer = Buffer.alloc(65536);
      // A failing open() would throw here; such a Cap must never be closed, so it just leaks.
      assert.equal(cap.open('lo', buildFilter(spec), 1 << 20, buffer), 'ETHERNET');
      cap.close();
    }
  });
});

describe('buildFilter: the filter selects exactly the right frames (tcpdump -r on hand-built frames)', () => {
  const spec: FilterSpec = {
    spaPorts: [62201, 62202],
    sequence: { ranges: [[50000, 50010]], protocols: ['tcp'] },
  };
  const { SYN, ACK, RST, FIN, PSH } = TCP_FLAGS;
  const v4 = (l4: Uint8Array, protocol: number, optionBytes?: number[]) =>
    ({ family: 4, ip: ipv4(l4, optionBytes ? { protocol, optionBytes } : { protocol }) }) as const;
  const v6 = (l4: Uint8Array, nextHeader: number) => ({ family: 6, ip: ipv6(l4, { nextHeader }) }) as const;
  const cases: Array<{ name: string; match: boolean; family: 4 | 6; ip: Uint8Array }> = [
    { name: 'v4 UDP to SPA port', match: true, ...v4(udp(1, 62201, [1, 2]), PROTO.UDP) },
    { name: 'v6 UDP to SPA port', match: true, ...v6(udp(1, 62202, [1, 2]), PROTO.UDP) },
    { name: 'v4 SYN in range', match: true, ...v4(tcp(1, 50005, SYN), PROTO.TCP) },
    { name: 'v4 SYN|PSH in range', match: true, ...v4(tcp(1, 50005, SYN | PSH), PROTO.TCP) },
    { name: 'v4 SYN with IP options', match: true, ...v4(tcp(1, 50005, SYN), PROTO.TCP, [1, 1, 1, 0]) },
    { name: 'v6 SYN at range start', match: true, ...v6(tcp(1, 50000, SYN), PROTO.TCP) },
    { name: 'v6 SYN at range end', match: true, ...v6(tcp(1, 50010, SYN), PROTO.TCP) },
    { name: 'v4 UDP to another port', match: false, ...v4(udp(1, 62203, [1]), PROTO.UDP) },
    { name: 'v4 SYN to a SPA port', match: false, ...v4(tcp(1, 62201, SYN), PROTO.TCP) },
    { name: 'v4 SYN-ACK in range', match: false, ...v4(tcp(1, 50005, SYN | ACK), PROTO.TCP) },
    { name: 'v4 ACK in range', match: false, ...v4(tcp(1, 50005, ACK), PROTO.TCP) },
    { name: 'v4 SYN|FIN in range', match: false, ...v4(tcp(1, 50005, SYN | FIN), PROTO.TCP) },
    { name: 'v6 SYN-ACK in range', match: false, ...v6(tcp(1, 50005, SYN | ACK), PROTO.TCP) },
    { name: 'v6 SYN|RST in range', match: false, ...v6(tcp(1, 50005, SYN | RST), PROTO.TCP) },
    { name: 'v6 SYN below range', match: false, ...v6(tcp(1, 49999, SYN), PROTO.TCP) },
    { name: 'v6 SYN above range', match: false, ...v6(tcp(1, 50011, SYN), PROTO.TCP) },
    {
      name: 'v4 UDP in range (udp not a sequence protocol)',
      match: false,
      ...v4(udp(1, 50005, [1]), PROTO.UDP),
    },
    {
      name: 'v6 UDP behind a hop-by-hop header (documented: not captured)',
      match: false,
      ...v6(bytes(extHeader(PROTO.UDP), udp(1, 62201, [1])), 0),
    },
  ];
  const links: Array<[LinkType, number]> = [
    ['ETHERNET', LINKTYPE.ETHERNET],
    ['LINKTYPE_LINUX_SLL', LINKTYPE.LINUX_SLL],
    ['RAW', LINKTYPE.RAW],
    ['NULL', LINKTYPE.NULL],
  ];
  for (const [link, linkType] of links) {
    test(link, (t) => {
      if (!hasTcpdump) {
        // Not fatal in CI: the namespace test (pcap-source) checks the same rules on `lo`.
        t.skip('SKIPPED LOUDLY: tcpdump is not installed (apt-get install -y tcpdump)');
        return;
      }
      // libpcap reads NULL savefiles as BSD ones, where AF_INET6 is 24/28/30, not Linux's 10.
      const frame = (c: (typeof cases)[number]) =>
        link === 'NULL' && c.family === 6 ? nullLink(24, c.ip) : wrap(link, c.family, c.ip);
      const frames = cases.map(frame);
      const r = spawnSync('tcpdump', ['-r', '-', '-w', '-', buildFilter(spec)], {
        input: writePcap(linkType, frames),
      });
      assert.equal(r.status, 0, r.stderr.toString());
      const matched = new Set(readPcap(r.stdout).map((f) => f.toString('hex')));
      const wrong = cases.filter((c, i) => matched.has(Buffer.from(frames[i]!).toString('hex')) !== c.match);
      assert.deepEqual(
        wrong.map((c) => `${c.name}: expected ${c.match ? 'match' : 'no match'}`),
        [],
      );
    });
  }
});
