/**
 * `spa-server` command line: declares the commands and hands each one its parsed options.
 * The work is in one file per command (cli/<name>.ts); errors become messages and exit codes in one place
 * (cli/errors.ts): 0 ok, 1 runtime failure, 2 configuration error, 64 usage error.
 */
import { Command, CommanderError, Option } from 'commander';
import { CONFIG_PATH_ENV, DEFAULT_CONFIG_PATH, FIREWALL_BACKENDS } from '../config/index.js';
import { addClient } from './add-client.js';
import { check } from './check.js';
import { describeError, EXIT, exitCodeOf } from './errors.js';
import { importFwknop } from './import-fwknop.js';
import { init } from './init.js';
import { configPath, type Io, processIo } from './io.js';
import { listClients } from './list-clients.js';
import { showProfile } from './profile.js';
import { reload } from './reload.js';
import { removeClient } from './remove-client.js';
import { revokeAddress } from './revoke.js';
import { revokeClient } from './revoke-client.js';
import { run } from './run.js';
import { status } from './status.js';

// No default values ([] would show up in --help as "(default: [])"): the first call gets undefined.
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const commaList = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

function configOption(): Option {
  return new Option(
    '-c, --config <file>',
    `config file (default: $${CONFIG_PATH_ENV} or ${DEFAULT_CONFIG_PATH})`,
  );
}

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('spa-server')
    .description('single-packet authorization server: hides services until a client knocks')
    .version('0.1.0')
    .addOption(configOption()) // also before the command: spa-server -c FILE status
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  const cmd = (name: string, description: string): Command =>
    program.command(name).description(description).addOption(configOption());
  const path = (o: { config?: string }) =>
    configPath(o.config ?? (program.opts() as { config?: string }).config, io);

  cmd('init', 'write a new config file with a fresh server id and secret')
    .requiredOption('-i, --interface <if>', 'capture interface (repeat for several; "any" for all)', collect)
    .requiredOption(
      '-s, --service <name=port/proto>',
      'guarded service, e.g. ssh=22/tcp (repeatable)',
      collect,
    )
    .option('--name <name>', 'server name shown in profiles (default: host name)')
    .option('--host <host>', 'address or name clients connect to (default: first address of the interface)')
    .addOption(
      new Option('--firewall <backend>', 'firewall backend').choices(
        FIREWALL_BACKENDS.filter((b) => b !== 'command'),
      ),
    )
    .option('--state-dir <dir>', 'state directory (default /var/lib/spa)')
    .option('-f, --force', 'replace an existing file (new secrets: every client needs a new profile)')
    .action((o) => {
      init(
        {
          configPath: path(o),
          interfaces: o.interface ?? [],
          services: o.service ?? [],
          ...(o.name !== undefined ? { name: o.name } : {}),
          ...(o.host !== undefined ? { host: o.host } : {}),
          ...(o.firewall !== undefined ? { firewall: o.firewall } : {}),
          ...(o.stateDir !== undefined ? { stateDir: o.stateDir } : {}),
          force: o.force === true,
        },
        io,
      );
    });

  cmd('add-client', 'add a client with a fresh key; prints its spa:// profile (or --out FILE)')
    .argument('<name>', 'client name')
    .option('--services <list>', 'comma-separated services it may open (default: all)', commaList)
    .option('--expires <date>', 'the key stops working then: 2027-06-30 (00:00 UTC) or a date-time')
    .option('--allow-from <cidrs>', 'comma-separated networks it may knock from', commaList)
    .option(
      '--ssh-key <line>',
      'two-factor: SSH public key ("ssh-ed25519 AAAA… c") that must sign every knock',
    )
    .option('--ssh-key-file <file>', 'the same, from a .pub file (e.g. ~/.ssh/id_ed25519.pub)')
    .option('--require-touch', 'with an sk-… key: the security key must be touched for every knock')
    .option('-o, --out <file>', 'write the profile to this new file (mode 0600) instead of stdout')
    .action((name: string, o) => {
      addClient(
        {
          configPath: path(o),
          name,
          ...(o.out !== undefined ? { out: o.out } : {}),
          services: o.services ?? [],
          ...(o.expires !== undefined ? { expires: o.expires } : {}),
          allowFrom: o.allowFrom ?? [],
          ...(o.sshKey !== undefined ? { sshKey: o.sshKey } : {}),
          ...(o.sshKeyFile !== undefined ? { sshKeyFile: o.sshKeyFile } : {}),
          ...(o.requireTouch ? { requireTouch: true } : {}),
        },
        io,
      );
    });

  cmd('list-clients', 'list clients: name, services, expiry, state (never keys)')
    .option('--json', 'JSON output')
    .action((o) => listClients({ configPath: path(o), json: o.json === true }, io));

  cmd('remove-client', 'delete a client and its key')
    .argument('<name>', 'client name')
    .action((name: string, o) => removeClient({ configPath: path(o), name }, io));

  cmd('revoke-client', 'refuse a client (revoked = true) but keep it in the file')
    .argument('<name>', 'client name')
    .option('--undo', 'reinstate it (revoked = false)')
    .action((name: string, o) => revokeClient({ configPath: path(o), name, undo: o.undo === true }, io));

  cmd('import-fwknop', 'turn fwknopd access.conf stanzas into [fwknop_clients] (docs/fwknop.md)')
    .argument('[access-conf]', "fwknopd's access.conf", '/etc/fwknop/access.conf')
    .option('--dry-run', 'print what would be imported, write nothing')
    .option('--services <list>', 'services for stanzas without OPEN_PORTS', commaList)
    .option('--prefix <prefix>', 'client names PREFIX-USERNAME or PREFIX-N')
    .action((accessConfPath: string, o) => {
      setExit(
        importFwknop(
          {
            configPath: path(o),
            accessConfPath,
            dryRun: o.dryRun === true,
            services: o.services ?? [],
            ...(o.prefix !== undefined ? { prefix: o.prefix } : {}),
          },
          io,
        ),
      );
    });

  cmd('profile', "print an existing client's spa:// profile again")
    .argument('<name>', 'client name')
    .option('-o, --out <file>', 'write it to this new file (mode 0600) instead of stdout')
    .action((name: string, o) =>
      showProfile({ configPath: path(o), name, ...(o.out !== undefined ? { out: o.out } : {}) }, io),
    );

  cmd('run', 'run the daemon in the foreground (what systemd starts)')
    .option('--log-level <level>', 'error, warn, info or debug (default: log_level from the config)')
    .option('--log-format <format>', 'auto (readable on a terminal, else JSON), json or pretty', 'auto')
    .option(
      '--trial <time>',
      'guard on trial (e.g. 2m): removed again unless a client knocks and connects in time',
    )
    .action(async (o) => {
      await run({
        configPath: path(o),
        logLevel: o.logLevel,
        logFormat: o.logFormat,
        ...(o.trial !== undefined ? { trial: o.trial } : {}),
      });
    });

  cmd('check', 'validate the config and this machine (interfaces, libpcap, firewall, state dir)')
    .option('--skip-capture', 'do not try to open a capture handle')
    .action((o) => setExit(check({ configPath: path(o), skipCapture: o.skipCapture === true }, io)));

  cmd('status', 'the daemon (pid, uptime), the guard and live grants as the firewall has them')
    .option('--json', 'JSON output: { daemon, guard, grants }')
    .addHelpText(
      'after',
      '\nExit status: 0 all well, 3 the daemon is not running, 4 a service is not guarded.',
    )
    .action(async (o) => {
      setExit((await status({ configPath: path(o), json: o.json === true }, io)).exitCode);
    });

  cmd('revoke', 'end every live grant of one address now')
    .argument('<address>', 'IPv4 or IPv6 address')
    .action(async (address: string, o) => {
      await revokeAddress({ configPath: path(o), address }, io);
    });

  cmd('reload', 'check the config, then make the running daemon reload it (SIGHUP)')
    .option('--trial <time>', 'ports this reload newly guards are on trial (e.g. 2m), like run --trial')
    .action((o) => {
      reload({ configPath: path(o), ...(o.trial !== undefined ? { trial: o.trial } : {}) }, io);
    });

  return program;
}

/** Run the CLI on `args` (without node and script); resolves to the exit code. */
export async function main(args: readonly string[], io: Io = processIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  if (args.length === 0) {
    program.outputHelp({ error: true });
    return EXIT.usage;
  }
  try {
    await program.parseAsync([...args], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError && e.exitCode === 0) return EXIT.ok; // --help, --version
    const text = describeError(e);
    if (text) io.err(text);
    return exitCodeOf(e);
  }
}
