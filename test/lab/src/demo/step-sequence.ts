/**
 * Step 5: a one-time knock sequence (for people with only plain tools) opens web once; the
 * attacker, who saw the SYNs on the wire, sends the same sequence from its own address and
 * gets nothing: the server burned the sequence when it granted it (docs/protocol.md §8).
 */

import { type Demo, openedIn, probeCheck, shell, spaClient, WEB } from './context.js';
import { countdown, msLeftInStep } from './countdown.js';
import { formatLogLine } from './server-log.js';
import { Tap } from './tap.js';

const STEP_SECONDS = 30;
/** Show `ports` and run `knock` in the same 30 s step, so the sequence shown is the one sent. */
const MIN_LEFT_IN_STEP_MS = 6000;
const DEFAULT_SEQUENCE_RANGE: readonly [number, number] = [50000, 59999];
const GRANT_LOG_TIMEOUT_MS = 3000;
/** After `knock` returns, its last SYN is out; give tcpdump a moment to print it. */
const TAP_DRAIN_MS = 200;

/** `web on web1: tcp:50815 tcp:52242 …` → [50815, 52242, …]. */
export function sequenceFromPorts(stdout: string): number[] {
  const first = stdout.split('\n')[0] ?? '';
  return [...first.matchAll(/\btcp:(\d+)/g)].map((m) => Number(m[1]));
}

function sequenceRange(d: Demo): readonly [number, number] {
  const listening = d.log.since(0, (l) => l.msg === 'listening')[0];
  const r = listening?.sequencePorts;
  return Array.isArray(r) && r.length === 2 ? [Number(r[0]), Number(r[1])] : DEFAULT_SEQUENCE_RANGE;
}

export async function oneTimeSequence(d: Demo): Promise<void> {
  const { t, client, server, attacker } = d;
  t.begin('A one-time knock sequence works once');
  t.say('Where only plain tools are at hand (nc, telnet, knock), a client can open a port with');
  t.say(`a few TCP connection attempts instead: ports that change every ${STEP_SECONDS} s, and each`);
  t.say(`sequence opens once. Here it opens ${WEB.name} (${WEB.port}/tcp).`);
  const left = msLeftInStep(Date.now(), STEP_SECONDS);
  if (left < MIN_LEFT_IN_STEP_MS)
    await countdown(
      t,
      Date.now() + left + 100,
      `for the next ${STEP_SECONDS} s step, so the sequence shown is the one sent`,
    );
  const ports = await spaClient(d, 'client', ['ports', WEB.name]);
  const shown = sequenceFromPorts(ports.stdout);
  const [lo, hi] = sequenceRange(d);
  const tap = await Tap.start(d.spa.lab, 'client', {
    filter: `tcp[tcpflags] & tcp-syn != 0 and dst host ${server.ipv4} and dst portrange ${lo}-${hi}`,
  });
  t.command('tap', tap.command, 'the eavesdropper again, in the background');
  const mark = d.log.mark();
  const knock = await spaClient(d, 'client', ['knock', WEB.name, '-4']);
  const sniffed = await tap.stop(TAP_DRAIN_MS);
  const took = openedIn(knock.stdout);
  t.check(
    knock.code === 0 && took !== undefined,
    took
      ? `spa-client knock: ${WEB.name} is open (opened in ${took})`
      : `spa-client knock failed (exit ${knock.code})`,
  );
  const grant = await d.log.waitFor(
    mark,
    (l) => l.msg === 'grant' && l.via === 'sequence' && l.address === client.ipv4 && l.port === WEB.port,
    GRANT_LOG_TIMEOUT_MS,
  );
  if (grant) t.serverLog(formatLogLine(grant));
  t.check(
    grant !== undefined,
    grant
      ? `the server granted ${client.ipv4} ${WEB.name} via the sequence`
      : 'no sequence grant in the server’s log',
  );
  await probeCheck(d, 'client', WEB.port, 'connected');

  t.say('The eavesdropper saw the SYNs go by:');
  t.output(tap.lines.join('\n').replace(/, seq \d+.*$/gm, ', …'));
  const seen = [...new Set(sniffed.map((p) => p.dstPort))];
  const same = seen.length > 0 && seen.join(' ') === shown.join(' ');
  t.check(
    same,
    same
      ? `the tap saw the sequence ${seen.join(' ')}, the one \`ports\` showed`
      : `the tap saw ${seen.join(' ') || 'nothing'}, but \`ports\` showed ${shown.join(' ')}`,
  );
  if (seen.length === 0) return;
  t.say(`The attacker sends the same sequence from ${attacker.ipv4}, with nc as \`ports\` suggests:`);
  const before = (await d.log.counters()).counters;
  const replayMark = d.log.mark();
  await shell(d, 'attacker', seen.map((p) => `nc -zv -w 1 ${server.ipv4} ${p}`).join('; '));
  await probeCheck(d, 'attacker', WEB.port, 'dropped', ' — the sequence was spent');
  const after = await d.log.counters();
  t.say('The server’s view: its counters, which it logs on SIGUSR1:');
  t.serverLog(
    formatLogLine(after.line, { under: 'counters', keep: (k) => k === 'grant' || k.startsWith('sequence') }),
  );
  const burned = [before['sequence-burned'] ?? 0, after.counters['sequence-burned'] ?? 0] as const;
  const attackerGrants = d.log.since(replayMark, (l) => l.msg === 'grant' && l.address === attacker.ipv4);
  t.check(
    burned[1] > burned[0] && attackerGrants.length === 0,
    `the server granted nothing to ${attacker.ipv4} and counted a burned sequence (sequence-burned ${burned[0]} → ${burned[1]})`,
  );
}
