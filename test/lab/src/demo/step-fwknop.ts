/**
 * Step 7: migrating from fwknop. fwknopd's access.conf is imported (`spa-server
 * import-fwknop`), the daemon reloads, and the stock fwknop client (Debian's fwknop-client,
 * unmodified) opens ssh on spa-server. The keys are fresh, like `fwknop --key-gen` makes
 * them, and never shown.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { accessStanza, fwknopKeys, runFwknop } from '../spa/fwknop.js';
import { type Demo, probeCheck, SSH, spaServer } from './context.js';
import { formatLogLine } from './server-log.js';

const LOG_TIMEOUT_MS = 3000;

export async function fwknopClientOpens(d: Demo): Promise<void> {
  const { t, client, server } = d;
  t.begin('Migrating from fwknop: the stock fwknop client opens ssh on spa-server');
  t.say('A host that ran fwknopd keeps its clients: spa-server imports fwknopd’s access.conf and');
  t.say('accepts the packets of the unmodified fwknop client (Rijndael + HMAC) on udp/62201.');
  const keys = fwknopKeys();
  const accessConf = join(d.spa.dir, 'access.conf');
  writeFileSync(
    accessConf,
    accessStanza(keys, { REQUIRE_SOURCE_ADDRESS: 'Y', REQUIRE_USERNAME: 'admin', ENABLE_CMD_EXEC: 'Y' }),
    { mode: 0o600 },
  );
  t.say('fwknopd’s access.conf (keys from fwknop --key-gen, not shown): SOURCE ANY, OPEN_PORTS tcp/22,');
  t.say('REQUIRE_SOURCE_ADDRESS Y, REQUIRE_USERNAME admin, ENABLE_CMD_EXEC Y.');
  const imported = await spaServer(d, ['import-fwknop', accessConf]);
  const leaked = `${imported.stdout}${imported.stderr}`.includes(keys.hmacKey);
  t.check(
    imported.code === 0 && !leaked,
    imported.code === 0
      ? `imported as [fwknop_clients.admin]; command execution is reported as not carried${leaked ? ', but a key was printed' : ''}`
      : `import-fwknop failed (exit ${imported.code})`,
  );
  const reloadMark = d.log.mark();
  await spaServer(d, ['reload']);
  const reloaded = await d.log.waitFor(reloadMark, (l) => l.msg === 'reloaded', LOG_TIMEOUT_MS);
  t.check(
    reloaded !== undefined,
    reloaded ? 'the daemon reloaded: it now watches udp/62201 too' : 'no reload',
  );

  const mark = d.log.mark();
  const shown = `fwknop -A tcp/22 -a ${client.ipv4} -D ${server.ipv4} -U admin --use-hmac --key-base64-rijndael … --key-base64-hmac …`;
  t.command('client', shown);
  const run = await runFwknop(d.spa, 'client', keys, ['-A', 'tcp/22', '-a', client.ipv4, '-U', 'admin']);
  t.output(
    `${run.result.stdout}${run.result.stderr}`.replaceAll(keys.key, '…').replaceAll(keys.hmacKey, '…'),
  );
  const grant = await d.log.waitFor(
    mark,
    (l) => l.msg === 'grant' && l.address === client.ipv4 && l.via === 'fwknop',
    LOG_TIMEOUT_MS,
  );
  if (grant) t.serverLog(formatLogLine(grant));
  t.check(
    run.result.code === 0 && grant !== undefined,
    grant
      ? `the server granted ${client.ipv4} ${SSH.name} for fwknop client ${String(grant.client)}`
      : `no grant for the fwknop client (fwknop exit ${run.result.code})`,
  );
  await probeCheck(d, 'client', SSH.port, 'connected');
  await probeCheck(d, 'attacker', SSH.port, 'dropped', ': the grant is for the client only');
}
