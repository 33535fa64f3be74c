/**
 * `npm run demo`: the transcript's readers (pure, no root) and the whole demo run as a user
 * runs it (`node test/lab/dist/demo.js`): exit 0, every key check in the transcript, under a
 * minute, nothing left behind.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sequenceFromPorts } from '../demo/step-sequence.js';
import { probeOutcome } from '../demo/tcp-probe.js';
import { parseTcpdump, udpPayload } from '../demo/tcpdump-text.js';
import { labAvailable } from '../lab/index.js';

const DEMO = fileURLToPath(new URL('../demo.js', import.meta.url));
/** A bound, not a goal: past it the run is interrupted (SIGINT) and then killed. The demo
 * takes well under a minute on an idle machine; its time is reported, not asserted. */
const KILL_AFTER_MS = 180_000;

describe('demo: reading tool output', () => {
  test('tcpdump -x text → packets, addresses, ports and the UDP payload', () => {
    const lines = [
      'tcpdump: verbose output suppressed, use -v[v]... for full protocol decode',
      '14:08:19.777007 IP 192.0.2.2.4660 > 192.0.2.1.43857: UDP, length 5',
      '\t0x0000:  4500 0021 0000 4000 4011 0000 c000 0202',
      '\t0x0010:  c000 0201 1234 ab51 000d 0000 6865 6c6c',
      '\t0x0020:  6f',
      '14:08:20.444571 IP6 2001:db8::2.36690 > 2001:db8::1.56476: Flags [S], seq 1, win 64240, length 0',
    ];
    const [udp, syn, ...rest] = parseTcpdump(lines);
    assert.equal(rest.length, 0);
    assert.ok(udp && syn);
    assert.deepEqual(
      [udp.src, udp.srcPort, udp.dst, udp.dstPort, udp.ip.length],
      ['192.0.2.2', 4660, '192.0.2.1', 43857, 33],
    );
    assert.equal(Buffer.from(udpPayload(udp.ip) ?? []).toString(), 'hello');
    assert.deepEqual(
      [syn.src, syn.dst, syn.dstPort, syn.ip.length],
      ['2001:db8::2', '2001:db8::1', 56476, 0],
    );
    assert.equal(udpPayload(udp.ip.subarray(0, 30)), undefined, 'a truncated packet has no payload');
    assert.equal(udpPayload(new Uint8Array()), undefined);
  });

  test('spa-client ports output → the sequence; nc output → the probe outcome', () => {
    const ports =
      'web on web1: tcp:59979 tcp:58744 tcp:55729 tcp:50021\nvalid for 59 s (step 59859625)\n  knock -d 100 web1.lab 59979:tcp\n';
    assert.deepEqual(sequenceFromPorts(ports), [59979, 58744, 55729, 50021]);
    assert.equal(probeOutcome(0, 'Connection to 192.0.2.1 22 port [tcp/ssh] succeeded!'), 'connected');
    assert.equal(
      probeOutcome(1, 'nc: connect to 192.0.2.1 port 22 (tcp) timed out: Operation now in progress'),
      'dropped',
    );
    assert.equal(
      probeOutcome(1, 'nc: connect to 192.0.2.1 port 50001 (tcp) failed: Connection refused'),
      'refused',
    );
    assert.equal(probeOutcome(1, 'nc: getaddrinfo: Name or service not known'), 'failed');
  });
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runDemo(): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DEMO], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    // SIGINT first: the demo then tears its lab down itself.
    const interrupt = setTimeout(() => child.kill('SIGINT'), KILL_AFTER_MS);
    const kill = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS + 20_000);
    child.on('close', (code, signal) => {
      clearTimeout(interrupt);
      clearTimeout(kill);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

describe('demo: npm run demo', () => {
  test('every check passes and nothing is left behind (its time reported)', async (t) => {
    if (!labAvailable(t)) return;
    const r = await runDemo();
    const all = `${r.stdout}\n--- stderr ---\n${r.stderr}`;
    assert.equal(r.code, 0, all);
    const expected: Array<[string, RegExp]> = [
      [
        'lab picture',
        /client +192\.0\.2\.2 ─┐[\s\S]*server 192\.0\.2\.1 \(web1\.lab\)[\s\S]*attacker +192\.0\.2\.3 ─┘/,
      ],
      [
        'closed before the knock',
        /1\. [\s\S]*✔ client 192\.0\.2\.2 → 192\.0\.2\.1:22: no answer \(dropped\)/,
      ],
      ['open, with its time', /client\$ spa-client open ssh -4\n.*opened in [\d.]+ m?s/],
      ['grant log line', /server log: grant client=alice address=192\.0\.2\.2 service=ssh .*via=knock/],
      ['attacker still shut', /✔ attacker 192\.0\.2\.3 → 192\.0\.2\.1:22: no answer \(dropped\)\n/],
      [
        'tap caught the knock',
        /✔ the tap caught the client’s knock: 192\.0\.2\.2 → 192\.0\.2\.1:\d+\/udp, 336 bytes/,
      ],
      [
        'replay reason from the server',
        /server log: knock rejected reason=replay packet\.source=192\.0\.2\.3/,
      ],
      ['replay verdict', /✔ the server rejected the copy: reason "replay"/],
      ['sequence shown', /client\$ spa-client ports web\n.*tcp:\d+ tcp:\d+/],
      ['sequence opens', /server log: grant .*service=web .*via=sequence/],
      [
        'sequence replay refused',
        /✔ the server granted nothing to 192\.0\.2\.3 and counted a burned sequence/,
      ],
      ['session survives expiry', /✔ the established session carries on after the grant expired/],
      [
        'new connection refused after expiry',
        /✔ client 192\.0\.2\.2 → 192\.0\.2\.1:22: no answer \(dropped\) — new connections/,
      ],
      ['two-factor: no agent refused', /✔ without an agent spa-client refuses and says what to run/],
      ['two-factor: signed knock opens', /server log: grant client=carol address=192\.0\.2\.2 service=ssh/],
      ['two-factor: opened', /✔ profile \+ key in the agent: the signed knock opened ssh/],
      ['two-factor: stolen profile', /✔ the attacker holds the profile but not the key/],
      ['teardown', /✔ lab torn down/],
      ['summary', /\nAll \d+ checks passed in [\d.]+ s\.\n/],
    ];
    for (const [what, re] of expected) assert.match(r.stdout, re, `${what}\n${all}`);
    assert.doesNotMatch(r.stdout, /✘/, all);
    assert.ok(!r.stdout.includes('\x1b['), 'no colours when stdout is not a terminal');
    // Its duration is reported, not asserted (a busy machine must not turn the suite red).
    t.diagnostic(`the demo took ${(r.ms / 1000).toFixed(1)} s`);
  });
});
