/**
 * Issue 7: migrating from fwknop. An access.conf in fwknopd's own syntax is imported with
 * `spa-server import-fwknop`; then the unmodified fwknop client (Debian's fwknop-client) opens
 * the guarded port on spa-server, and what spa refuses on purpose is refused: the replay of a
 * sniffed packet, a wrong HMAC key, a packet without HMAC (which fwknopd would take), an allow
 * address of 0.0.0.0 under REQUIRE_SOURCE_ADDRESS, and a command request.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { labAvailable } from '../lab/index.js';
import { type SpaLab, startSpaLab } from '../spa/fixture.js';
import { accessStanza, fwknopKeys, runFwknop } from '../spa/fwknop.js';
import {
  CLOSED_PROBE_MS,
  grantsAfter,
  logMark,
  reaches,
  revokeGrants,
  until,
  waitForLogAfter,
  waitForRejection,
} from '../spa/probes.js';

const FWKNOP_PORT = 62201;

describe('fwknop migration: the stock fwknop client against spa-server', () => {
  let spa: SpaLab | undefined;
  const keys = fwknopKeys();
  let importOutput = '';

  before(async (t) => {
    if (!labAvailable(t as unknown as { skip(m?: string): void })) return;
    spa = await startSpaLab({ start: false });
    const accessConf = join(spa.dir, 'access.conf');
    writeFileSync(
      accessConf,
      [
        '# as fwknopd reads it',
        accessStanza(keys, { REQUIRE_SOURCE_ADDRESS: 'Y', REQUIRE_USERNAME: 'admin', ENABLE_CMD_EXEC: 'Y' }),
        '# an old stanza without HMAC: fwknopd takes it, spa refuses to import it',
        'SOURCE                  ANY',
        'OPEN_PORTS              tcp/22',
        `KEY_BASE64              ${fwknopKeys().key}`,
        '',
      ].join('\n'),
    );
    const imported = await spa.serverCli(['import-fwknop', accessConf]);
    importOutput = imported.stdout + imported.stderr;
    assert.equal(imported.code, 0, `import-fwknop failed:\n${importOutput}`);
    await spa.startServer();
  });
  after(async () => {
    await spa?.teardown();
  });

  test('import-fwknop reports what it carried and what it could not', (t) => {
    if (!labAvailable(t) || !spa) return;
    assert.match(importOutput, /imported as fwknop client admin/);
    assert.match(importOutput, /ENABLE_CMD_EXEC/);
    assert.match(importOutput, /skipped/i);
    assert.ok(
      !importOutput.includes(keys.key) && !importOutput.includes(keys.hmacKey),
      'no key in the output',
    );
    const listening = spa.logs().find((l) => l.msg === 'listening');
    assert.ok(listening, 'daemon is listening');
  });

  test('the unmodified fwknop client opens ssh for its own address, and only for it', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server, client: clientHost } = lab.lab.hosts;
    const client = await lab.lab.agent('client');
    const attacker = await lab.lab.agent('attacker');
    assert.equal(await reaches(client, server.ipv4, 22, CLOSED_PROBE_MS), false, 'hidden before the knock');
    const mark = logMark(lab);
    const run = await runFwknop(lab, 'client', keys, ['-A', 'tcp/22', '-a', clientHost.ipv4, '-U', 'admin']);
    assert.equal(run.result.code, 0, `fwknop: ${run.result.stderr}${run.result.stdout}`);
    assert.ok(run.packet.length > 0, 'the client saved the packet it sent');
    const grant = await waitForLogAfter(lab, mark, (l) => l.msg === 'grant' && l.address === clientHost.ipv4);
    assert.equal(grant.via, 'fwknop');
    assert.equal(grant.client, 'admin');
    assert.equal(grant.port, 22);
    await until('ssh to open for the client', 5000, () => reaches(client, server.ipv4, 22));
    assert.equal(
      await reaches(attacker, server.ipv4, 22, CLOSED_PROBE_MS),
      false,
      'still hidden from others',
    );
    assert.equal(await reaches(client, server.ipv4, 80, CLOSED_PROBE_MS), false, 'only the port asked for');
    await revokeGrants(lab, clientHost.ipv4);

    // The packet an eavesdropper captured, sent again from the attacker: refused as a replay.
    const replayMark = logMark(lab);
    const sent = await attacker.udp(server.ipv4, FWKNOP_PORT, Buffer.from(run.packet, 'ascii'));
    assert.ok(sent.ok);
    const r = await waitForRejection(lab, replayMark, lab.lab.hosts.attacker.ipv4);
    assert.equal(r.reason, 'replay');
    assert.equal(
      await reaches(attacker, server.ipv4, 22, CLOSED_PROBE_MS),
      false,
      'the replay opened nothing',
    );
    assert.deepEqual(grantsAfter(lab, replayMark), []);
  });

  test('a wrong HMAC key, a packet without HMAC, 0.0.0.0 and a command are refused', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server, attacker: attackerHost } = lab.lab.hosts;
    const attacker = await lab.lab.agent('attacker');
    const from = attackerHost.ipv4;
    const cases: Array<{
      what: string;
      keys: typeof keys;
      args: string[];
      hmac?: boolean;
      reasons: string[];
    }> = [
      {
        what: 'wrong HMAC key',
        keys: { key: keys.key, hmacKey: fwknopKeys().hmacKey },
        args: ['-A', 'tcp/22', '-a', from, '-U', 'admin'],
        reasons: ['mac'],
      },
      {
        what: 'no HMAC (fwknopd would accept it)',
        keys,
        hmac: false,
        args: ['-A', 'tcp/22', '-a', from, '-U', 'admin'],
        reasons: ['mac', 'fwknop-shape'],
      },
      {
        what: 'allow address 0.0.0.0 (-s) under REQUIRE_SOURCE_ADDRESS',
        keys,
        args: ['-A', 'tcp/22', '-s', '-U', 'admin'],
        reasons: ['policy-literal'],
      },
      {
        what: 'another username than REQUIRE_USERNAME',
        keys,
        args: ['-A', 'tcp/22', '-a', from, '-U', 'mallory'],
        reasons: ['policy-username'],
      },
    ];
    for (const c of cases) {
      const mark = logMark(lab);
      const run = await runFwknop(lab, 'attacker', c.keys, c.args, { hmac: c.hmac ?? true });
      assert.equal(run.result.code, 0, `${c.what}: fwknop: ${run.result.stderr}`);
      const r = await waitForRejection(lab, mark, from);
      assert.ok(c.reasons.includes(r.reason), `${c.what}: got ${r.reason}, expected ${c.reasons.join('|')}`);
      assert.equal(
        await reaches(attacker, server.ipv4, 22, CLOSED_PROBE_MS),
        false,
        `${c.what}: opened nothing`,
      );
      assert.deepEqual(grantsAfter(lab, mark), [], `${c.what}: no grant`);
    }

    // A command request, authentic and fresh: refused, logged at warn, never run.
    const marker = join(lab.dir, 'command-ran');
    const mark = logMark(lab);
    const run = await runFwknop(lab, 'attacker', keys, ['-C', `touch ${marker}`, '-a', from, '-U', 'admin']);
    assert.equal(run.result.code, 0, `fwknop -C: ${run.result.stderr}`);
    const r = await waitForRejection(lab, mark, from);
    assert.equal(r.reason, 'policy-command');
    const warn = await waitForLogAfter(lab, mark, (l) => l.level === 40 && l.client === 'admin');
    assert.match(String(warn.msg), /command/);
    assert.ok(!JSON.stringify(lab.logs().slice(mark)).includes(marker), 'the command text is not logged');
    assert.equal(existsSync(marker), false, 'the command did not run');
  });
});
