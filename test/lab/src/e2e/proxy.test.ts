/**
 * Scenario 13 of issue 5: `ssh`-style use. `spa-client proxy HOST PORT` (what ssh runs as its
 * ProxyCommand) opens the guarded port and pipes stdin/stdout through the connection.
 *   - pipe: the lab's echo service on 22, spoken to through the proxy's stdin/stdout;
 *   - ssh: a real OpenSSH server on 22 and `ssh -o ProxyCommand='spa-client proxy %h %p'`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { labAvailable } from '../lab/index.js';
import { CLIENT_BIN, SERVER_HOSTNAME, type SpaLab, startSpaLab } from '../spa/fixture.js';
import { CLOSED_PROBE_MS, reaches, revokeGrants, waitClosed } from '../spa/probes.js';
import { type Sshd, startSshd } from '../spa/sshd.js';

describe('spa-client proxy (ssh ProxyCommand)', () => {
  let spa: SpaLab | undefined;
  let sshd: Sshd | undefined;

  before(async (t) => {
    if (!labAvailable(t as unknown as { skip(m?: string): void })) return;
    spa = await startSpaLab({ services: { ssh: '22/tcp' } });
  });
  after(async () => {
    await sshd?.stop();
    await spa?.teardown();
  });

  test('13a. a connection through spa-client proxy reaches the guarded service (stdin/stdout pipe)', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server } = lab.lab.hosts;
    const attacker = await lab.lab.agent('attacker');
    assert.equal(await reaches(attacker, server.ipv4, 22, CLOSED_PROBE_MS), false, 'guarded before');

    const proxy = lab.lab.spawn('client', [
      process.execPath,
      CLIENT_BIN,
      '--config',
      lab.clientConfig('client'),
      'proxy',
      SERVER_HOSTNAME,
      '22',
    ]);
    await proxy.waitForLine(/^spa-lab service 22$/, 20_000, 'stdout');
    for (const line of ['hello through spa', 'second line']) {
      proxy.write(`${line}\n`);
      await proxy.waitForLine(new RegExp(`^${line}$`), 5000, 'stdout');
    }
    proxy.endInput();
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      proxy.exited,
      new Promise<undefined>((r) => {
        timer = setTimeout(() => r(undefined), 10_000);
      }),
    ]);
    clearTimeout(timer);
    if (!exit) await proxy.kill('SIGKILL', 500);
    assert.deepEqual(exit, { code: 0, signal: null }, `proxy exits 0 when stdin ends\n${proxy.tail()}`);
    assert.equal(
      await reaches(attacker, server.ipv4, 22, CLOSED_PROBE_MS),
      false,
      'still guarded for others',
    );
    await revokeGrants(lab, lab.lab.hosts.client.ipv4, lab.lab.hosts.client.ipv6);
  });

  test('13b. ssh with ProxyCommand spa-client proxy %h %p logs in to a real sshd', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server } = lab.lab.hosts;
    const client = await lab.lab.agent('client');
    await waitClosed(client, server.ipv4, 22, 3000);
    await lab.services.stop(); // port 22 is sshd's now
    sshd = await startSshd(lab.lab, 'server', lab.dir, 22);
    const attacker = await lab.lab.agent('attacker');
    assert.equal(await reaches(attacker, server.ipv4, 22, CLOSED_PROBE_MS), false, 'sshd is hidden');

    const proxyCommand = `${process.execPath} ${CLIENT_BIN} --config ${lab.clientConfig('client')} proxy %h %p`;
    const r = await lab.lab.exec(
      'client',
      [
        'ssh',
        '-F',
        '/dev/null',
        '-o',
        `ProxyCommand=${proxyCommand}`,
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'BatchMode=yes',
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        'ConnectTimeout=20',
        '-o',
        'LogLevel=ERROR',
        '-i',
        sshd.clientKey,
        `root@${SERVER_HOSTNAME}`,
        'echo spa-ssh-ok',
      ],
      { timeoutMs: 40_000 },
    );
    assert.equal(r.code, 0, `ssh through spa-client proxy: ${r.stderr}\nsshd:\n${sshd.process.tail()}`);
    assert.equal(r.stdout.trim(), 'spa-ssh-ok');
    assert.match(sshd.process.stderr.join('\n'), /Accepted publickey for root/);
    assert.equal(
      await reaches(attacker, server.ipv4, 22, CLOSED_PROBE_MS),
      false,
      'still hidden from others',
    );
  });
});
