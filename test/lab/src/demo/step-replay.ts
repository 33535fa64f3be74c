/**
 * Step 4: the attacker resends the exact bytes the tap recorded in step 2, from its own
 * address, to the same knock port. The server must refuse it as `replay` (the packet's
 * one-time id is spent), and the guarded port must stay shut to the attacker.
 */
import { type Demo, probeCheck, SSH } from './context.js';
import { formatLogLine } from './server-log.js';
import type { SniffedKnock } from './steps-open.js';
import { udpPayload } from './tcpdump-text.js';

/** Every SPA packet has this size (docs/protocol.md §3). */
const KNOCK_BYTES = 336;
const REJECT_LOG_TIMEOUT_MS = 3000;
/** tcpdump lines shown: the summary and the first rows of bytes. */
const SHOWN_TAP_LINES = 5;

export async function replaySniffedPacket(d: Demo, sniffed: SniffedKnock): Promise<void> {
  const { t, server, attacker } = d;
  t.begin('The attacker replays the packet it sniffed');
  t.say('The lab’s bridge forwards unicast only to its destination, so the attacker’s own cable');
  t.say('never carries the client’s packets; we model an on-path eavesdropper with the tap on the');
  t.say('client’s cable. What it printed during step 2:');
  t.command('tap', sniffed.command);
  t.output(sniffed.lines.join('\n'), SHOWN_TAP_LINES);
  const pkt = sniffed.packets[0];
  const payload = pkt ? udpPayload(pkt.ip) : undefined;
  const captured =
    pkt !== undefined &&
    payload?.length === KNOCK_BYTES &&
    pkt.dst === server.ipv4 &&
    pkt.src === d.client.ipv4;
  t.check(
    captured,
    captured
      ? `the tap caught the client’s knock: ${pkt.src} → ${pkt.dst}:${pkt.dstPort}/udp, ${payload.length} bytes`
      : `the tap did not catch a ${KNOCK_BYTES}-byte knock from the client (${sniffed.packets.length} packets)`,
  );
  if (!captured) return;

  t.say(`The attacker copies the packet off the wire and sends it again, byte for byte, from`);
  t.say(`${attacker.ipv4} to the same knock port, well inside the packet's ±30 s time window:`);
  t.action(
    'attacker',
    `sends the ${payload.length} captured bytes to ${server.ipv4} port ${pkt.dstPort}/udp`,
  );
  const mark = d.log.mark();
  const agent = await d.spa.lab.agent('attacker');
  const sent = await agent.udp(server.ipv4, pkt.dstPort, payload);
  if (!sent.ok) t.check(false, `the attacker could not send: ${JSON.stringify(sent)}`);
  const rejected = await d.log.waitFor(
    mark,
    (l) =>
      l.msg === 'knock rejected' && (l.packet as { source?: string } | undefined)?.source === attacker.ipv4,
    REJECT_LOG_TIMEOUT_MS,
  );
  if (rejected) t.serverLog(formatLogLine(rejected));
  const grantedAttacker = d.log.since(mark, (l) => l.msg === 'grant' && l.address === attacker.ipv4);
  t.check(
    rejected?.reason === 'replay' && grantedAttacker.length === 0,
    rejected
      ? `the server rejected the copy: reason "${String(rejected.reason)}"${rejected.reason === 'replay' ? ' (its one-time id was already used)' : ', expected "replay"'}`
      : `the server logged no rejection for ${attacker.ipv4} within ${REJECT_LOG_TIMEOUT_MS} ms`,
  );
  await probeCheck(d, 'attacker', SSH.port, 'dropped', ' — the replay opened nothing');
}
