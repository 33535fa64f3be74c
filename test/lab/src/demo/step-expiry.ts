/**
 * Step 6: a grant is for new connections during its time only. The client opens ssh, keeps
 * an interactive session, waits out the grant; the session still works (the firewall lets
 * established connections through) while a new connection is dropped.
 */

import { type Demo, GRANT_SECONDS, probeCheck, SSH, spaClient, spaServer } from './context.js';
import { countdown } from './countdown.js';
import { NcSession } from './nc-session.js';
import { formatLogLine } from './server-log.js';

const GRANT_LOG_TIMEOUT_MS = 3000;
const SESSION_TIMEOUT_MS = 2000;
/** Past the grant's end before looking: nftables expires set elements on its own schedule. */
const EXPIRY_MARGIN_MS = 600;
/** How long past that margin the grant may linger before the check fails. */
const EXPIRY_GRACE_MS = 3000;

async function grantGone(d: Demo, deadlineMs: number): Promise<boolean> {
  for (;;) {
    const live = (await d.spa.nftGrants()).some((g) => g.address === d.client.ipv4 && g.port === SSH.port);
    if (!live) return true;
    if (Date.now() >= deadlineMs) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function grantsExpire(d: Demo): Promise<void> {
  const { t, client, server } = d;
  t.begin('After the granted time, new connections are refused; the open one carries on');
  t.say(
    `This demo’s server grants ${GRANT_SECONDS} s by default ([policy] default_duration = "${GRANT_SECONDS}s").`,
  );
  const mark = d.log.mark();
  const r = await spaClient(d, 'client', ['open', SSH.name, '-4']);
  const grant = await d.log.waitFor(
    mark,
    (l) => l.msg === 'grant' && l.address === client.ipv4 && l.port === SSH.port,
    GRANT_LOG_TIMEOUT_MS,
  );
  if (grant) t.serverLog(formatLogLine(grant));
  if (r.code !== 0 || !grant) {
    t.check(false, `spa-client open ${SSH.name} did not lead to a grant (exit ${r.code})`);
    return;
  }
  t.command(
    'client',
    `nc ${server.ipv4} ${SSH.port}`,
    'an interactive session, kept open; the demo types into it',
  );
  const { session, banner } = await NcSession.open(
    d.spa.lab,
    'client',
    server.ipv4,
    SSH.port,
    SESSION_TIMEOUT_MS,
  );
  try {
    if (banner !== undefined) t.output(banner);
    t.typed('hello');
    const hello = await session.say('hello', SESSION_TIMEOUT_MS);
    if (hello !== undefined) t.output(hello);
    t.check(
      banner !== undefined && hello === 'hello',
      hello === 'hello'
        ? 'session established: the service greets and echoes'
        : 'no session: no banner or no echo',
    );
    if (hello === undefined) return;
    await spaServer(d, ['status']);

    const grantEnd = Date.parse(String(grant.time)) + Number(grant.seconds) * 1000;
    await countdown(t, grantEnd + EXPIRY_MARGIN_MS, `for the ${String(grant.seconds)} s grant to expire`);
    const gone = await grantGone(d, Date.now() + EXPIRY_GRACE_MS);
    await spaServer(d, ['status']);
    t.check(
      gone,
      gone ? 'the grant has expired: nftables removed it by itself' : 'the grant is still in nftables',
    );

    t.typed('still there?');
    const still = await session.say('still there?', SESSION_TIMEOUT_MS);
    if (still !== undefined) t.output(still);
    t.check(
      still === 'still there?',
      still === 'still there?'
        ? 'the established session carries on after the grant expired'
        : 'the established session stopped working',
    );
    await probeCheck(d, 'client', SSH.port, 'dropped', ' — new connections are shut out again');
  } finally {
    await session.close();
  }
}
