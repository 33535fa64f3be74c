/**
 * Steps 1–3: the guarded port is closed; `spa-client open ssh` opens it with one packet (while
 * a tap on the client's cable records that packet for step 4); the attacker still cannot
 * connect.
 */
import { type Demo, openedIn, probeCheck, SSH, spaClient, spaServer } from './context.js';
import { formatLogLine } from './server-log.js';
import { Tap } from './tap.js';
import type { SniffedPacket } from './tcpdump-text.js';

const GRANT_LOG_TIMEOUT_MS = 3000;
/** How long the tap may take to print the knock after `spa-client open` returned. */
const TAP_DRAIN_MS = 2000;

export async function closedByDefault(d: Demo): Promise<void> {
  d.t.begin('The guarded port is closed');
  d.t.say(`spa-server hides ssh (${SSH.port}/tcp): it drops every packet to it unless a knock opened it`);
  d.t.say('for the sender. The service behind it is running all along.');
  await probeCheck(d, 'client', SSH.port, 'dropped');
}

export interface SniffedKnock {
  /** The tap's command line. */
  readonly command: string;
  /** What tcpdump printed. */
  readonly lines: readonly string[];
  readonly packets: SniffedPacket[];
}

export async function openWithOnePacket(d: Demo): Promise<SniffedKnock> {
  const { t, client, server } = d;
  t.begin(`spa-client opens ${SSH.name} with one packet`);
  t.say('The client sends one encrypted, authenticated UDP packet to a knock port that changes');
  t.say('every 30 s. The server checks it and opens the port for the sender’s address only.');
  t.say('Meanwhile an eavesdropper records the client’s packets (step 4 uses what it gets):');
  const tap = await Tap.start(d.spa.lab, 'client', {
    filter: `udp and dst host ${server.ipv4}`,
    bytes: true,
    count: 1,
  });
  t.command('tap', tap.command, 'on the client’s cable, in the background');
  t.say('(-4: the IPv4 address of web1.lab, which has an IPv6 one too; this demo sticks to IPv4.)');
  const mark = d.log.mark();
  const r = await spaClient(d, 'client', ['open', SSH.name, '-4']);
  const packets = await tap.stop(TAP_DRAIN_MS);
  const took = openedIn(r.stdout);
  t.check(
    r.code === 0 && took !== undefined,
    took
      ? `spa-client: ${SSH.name} is open, opened in ${took} (the whole command took ${(r.ms / 1000).toFixed(2)} s, mostly Node’s start-up)`
      : `spa-client open ${SSH.name} failed (exit ${r.code})`,
  );
  const grant = await d.log.waitFor(
    mark,
    (l) => l.msg === 'grant' && l.address === client.ipv4 && l.port === SSH.port,
    GRANT_LOG_TIMEOUT_MS,
  );
  if (grant) t.serverLog(formatLogLine(grant));
  t.check(
    grant !== undefined,
    grant
      ? `the server granted ${client.ipv4} ${SSH.name} (${SSH.port}/tcp) for ${String(grant.seconds)} s`
      : `no grant for ${client.ipv4} in the server's log`,
  );
  await probeCheck(d, 'client', SSH.port, 'connected');
  return { command: tap.command, lines: [...tap.lines], packets };
}

export async function attackerStillShut(d: Demo): Promise<void> {
  const { t, client } = d;
  t.begin('The attacker still cannot connect');
  t.say(`The grant names one address, ${client.ipv4}; nobody else gets through:`);
  await spaServer(d, ['status']);
  await probeCheck(d, 'attacker', SSH.port, 'dropped');
}
