/**
 * Step 8: two-factor knocks (issue 16). The admin's ssh-ed25519 key is registered with
 * `add-client --ssh-key-file`; the profile alone then opens nothing (no agent: spa-client says
 * what to run), and the profile plus the key in a real ssh-agent opens ssh. The attacker, with
 * the same profile copied but no key, is refused.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecResult } from '../lab/index.js';
import { CLIENT_BIN } from '../spa/fixture.js';
import { until } from '../spa/probes.js';
import { type Demo, type HostName, SSH, spaServer } from './context.js';
import { formatLogLine } from './server-log.js';

const LOG_TIMEOUT_MS = 3000;

/** `HOST$ spa-client ARGS` with this SSH_AUTH_SOCK (none = unset), shown with its output. */
async function clientWithAgent(d: Demo, host: HostName, args: string[], sock?: string): Promise<ExecResult> {
  const env = { ...process.env };
  delete env.SSH_AUTH_SOCK;
  if (sock) env.SSH_AUTH_SOCK = sock;
  d.t.command(host, `spa-client ${args.join(' ')}`, sock ? undefined : 'no ssh-agent here');
  const r = await d.spa.lab.exec(host, ['node', CLIENT_BIN, '--config', d.spa.clientConfig(host), ...args], {
    env,
    timeoutMs: 20_000,
  });
  d.t.output(`${r.stdout}${r.stderr}`);
  return r;
}

export async function twoFactorOpens(d: Demo): Promise<void> {
  const { t, client } = d;
  t.begin('Two-factor: the profile alone opens nothing; the admin’s SSH key in ssh-agent must sign');
  t.say('A profile is a file: whoever copies it can knock. With --ssh-key-file the server also');
  t.say('demands a signature by the admin’s SSH key, made by ssh-agent, inside every knock.');
  const key = join(d.spa.dir, 'id_ed25519');
  await d.spa.lab.exec(
    'client',
    ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'admin@laptop', '-f', key],
    {
      check: true,
    },
  );
  const addArgs = ['add-client', 'carol', '--services', SSH.name, '--ssh-key-file', `${key}.pub`];
  t.command('server', `spa-server ${addArgs.join(' ')}`);
  const added = await d.spa.serverCli(addArgs);
  // The profile holds the client's secret: shown shortened, as a person would pass it on.
  t.output(
    `${added.stdout.replace(/spa:\/\/\S+/, 'spa://v1/… (the profile, handed to the admin)')}${added.stderr}`,
  );
  const uri = added.stdout.trim();
  t.check(
    added.code === 0 && uri.startsWith('spa://'),
    added.code === 0 ? 'client "carol" added with its SSH key' : 'add-client failed',
  );
  const mark = d.log.mark();
  await spaServer(d, ['reload']);
  t.check(
    (await d.log.waitFor(mark, (l) => l.msg === 'reloaded', LOG_TIMEOUT_MS)) !== undefined,
    'the daemon reloaded',
  );
  for (const host of ['client', 'attacker'] as const)
    await d.spa.clientCli(host, ['import', uri, '--name', 'web1-2fa']);
  t.say('The profile is imported on the client, and (stolen) on the attacker.');

  const none = await clientWithAgent(d, 'client', ['open', `${SSH.name}@web1-2fa`, '-4']);
  t.check(
    none.code === 6 && /ssh-agent/.test(none.stderr),
    'without an agent spa-client refuses and says what to run',
  );

  const sock = join(d.spa.dir, 'demo-agent.sock');
  d.t.command('client', `eval $(ssh-agent); ssh-add ${key}`);
  d.spa.lab.spawn('client', ['ssh-agent', '-D', '-a', sock]);
  await until('ssh-agent', 5000, () => existsSync(sock));
  const add = await d.spa.lab.exec('client', ['ssh-add', key], {
    env: { ...process.env, SSH_AUTH_SOCK: sock },
  });
  d.t.output(`${add.stdout}${add.stderr}`);
  const grantMark = d.log.mark();
  const open = await clientWithAgent(d, 'client', ['open', `${SSH.name}@web1-2fa`, '-4'], sock);
  const grant = await d.log.waitFor(
    grantMark,
    (l) => l.msg === 'grant' && l.client === 'carol' && l.address === client.ipv4,
    LOG_TIMEOUT_MS,
  );
  if (grant) t.serverLog(formatLogLine(grant));
  t.check(
    open.code === 0 && /signed by SHA256:/.test(open.stdout) && grant !== undefined,
    grant ? 'profile + key in the agent: the signed knock opened ssh' : `no grant (exit ${open.code})`,
  );

  const stolen = await clientWithAgent(d, 'attacker', ['open', `${SSH.name}@web1-2fa`, '-4']);
  t.check(
    stolen.code === 6,
    'the attacker holds the profile but not the key: nothing is sent, nothing opens',
  );
}
