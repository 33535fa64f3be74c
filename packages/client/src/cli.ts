/**
 * The `spa-client` command line: declares the commands, parses, and loads only the module
 * of the command that runs (start-up stays fast). One catch at the top turns typed errors
 * into a message, a hint and an exit code (errors.ts).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ClientError } from './errors.js';
import { printable, terminalJson } from './terminal-text.js';

/** Set by the single-executable build (scripts/sea.mjs), which has no package.json beside it. */
declare const __SPA_CLIENT_VERSION__: string | undefined;

/** The client's version, from its package.json (one level up from the bundle, two from dist/src). */
function version(): string {
  if (typeof __SPA_CLIENT_VERSION__ === 'string') return __SPA_CLIENT_VERSION__;
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8'));
      if (pkg.name === '@spa/client') return pkg.version;
    } catch {
      // try the next one
    }
  }
  return 'unknown';
}

const CONFIG_HELP = 'profile file (default: $SPA_CLIENT_CONFIG, else ~/.config/spa/client.toml)';

function openingOptions(cmd: Command): Command {
  return cmd
    .option('--decoys <n>', 'also send N look-alike packets to unwatched ports, in random order')
    .addOption(new Option('-4, --ipv4', 'use the IPv4 address of the server').conflicts('ipv6'))
    .option('-6, --ipv6', 'use the IPv6 address of the server');
}

function outputOptions(cmd: Command): Command {
  return cmd.option('-q, --quiet', 'print nothing on success').option('--json', 'print one JSON object');
}

export function buildProgram(run: (p: Promise<number>) => Promise<void>): Command {
  const program = new Command('spa-client')
    // commander quotes arguments in its own errors (unknown command, option…): escape them.
    .configureOutput({ writeErr: (str) => process.stderr.write(printable(str)) })
    .description('Open ports guarded by spa-server with one encrypted packet')
    .version(version(), '-V, --version')
    .option('-c, --config <file>', CONFIG_HELP)
    .showHelpAfterError('(run spa-client help for usage)')
    .exitOverride();

  program
    .command('import')
    .description(
      'store a spa:// profile printed by `spa-server add-client`: spa-client import - < FILE ' +
        '(a URI given as an argument is visible to every local user in the process list)',
    )
    .argument('<uri>', '- to read the spa://… line from stdin (recommended), or the line itself')
    .option('--name <name>', "the name to use in SERVICE@NAME (default: the server's name)")
    .option('--force', 'replace a profile of the same name')
    .option('--json', 'print one JSON object')
    .action((uri, _opts, cmd: Command) =>
      run(import('./commands/import.js').then((m) => m.run(uri, cmd.optsWithGlobals()))),
    );

  program
    .command('list')
    .description('show the stored profiles (names, hosts, services; never keys)')
    .option('--json', 'print one JSON object')
    .action((_opts, cmd: Command) =>
      run(import('./commands/list.js').then((m) => m.run(cmd.optsWithGlobals()))),
    );

  program
    .command('remove')
    .description('delete a stored profile')
    .argument('<name>')
    .action((name, _opts, cmd: Command) =>
      run(import('./commands/remove.js').then((m) => m.run(name, cmd.optsWithGlobals()))),
    );

  const open = program
    .command('open')
    .description('open SERVICE on SERVER; with -- COMMAND, then run the command')
    .argument('<service[@server]>', 'e.g. ssh, or ssh@web1 when several servers offer ssh')
    .argument('[command...]', 'after --: a command to run once open (no shell), e.g. -- ssh admin@web1')
    .option('--allow <ip>', "let in this address instead of the packet's source")
    .option('--duration <time>', 'ask for a longer window: 60, 60s, 5m (the server caps it)')
    .option('--no-wait', 'send the packet and exit')
    .option('--retries <n>', 'resend a fresh packet up to N times if the port stays closed (default 2)');
  openingOptions(outputOptions(open)).action((target, command: string[], _opts, cmd: Command) =>
    run(import('./commands/open.js').then((m) => m.run(target, command, cmd.optsWithGlobals()))),
  );

  const proxy = program
    .command('proxy')
    .description('for ssh: ProxyCommand spa-client proxy %h %p (open, then pipe stdin/stdout)')
    .argument('<host>', 'the host ssh connects to (%h): a profile host or name')
    .argument('<port>', 'the port ssh connects to (%p)')
    .option('--duration <time>', 'ask for a longer window: 60, 60s, 5m')
    .option('--retries <n>', 'resend up to N times (default 2)');
  openingOptions(proxy).action((host, port, _opts, cmd: Command) =>
    run(import('./commands/proxy.js').then((m) => m.run(host, port, cmd.optsWithGlobals()))),
  );

  const knock = program
    .command('knock')
    .description("send this step's one-time knock sequence for SERVICE, then wait for it")
    .argument('<service[@server]>')
    .option('--gap <time>', 'pause between knocks: 100, 100ms, 1s (default 100 ms)')
    .option('--no-wait', 'send the knocks and exit');
  openingOptions(outputOptions(knock)).action((target, _opts, cmd: Command) =>
    run(import('./commands/knock.js').then((m) => m.run(target, cmd.optsWithGlobals()))),
  );

  program
    .command('ports')
    .description("print this step's one-time sequence for SERVICE and how long it stays valid")
    .argument('<service[@server]>')
    .option('--json', 'print one JSON object')
    .action((target, _opts, cmd: Command) =>
      run(import('./commands/ports.js').then((m) => m.run(target, cmd.optsWithGlobals()))),
    );

  return program;
}

/** Print a failure: message and hint on stderr (and as JSON on stdout with --json). */
export function report(e: unknown, json: boolean): number {
  if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
  let code = 'internal';
  let message: string;
  let hint = '';
  let exit = 1;
  if (e instanceof ClientError) {
    ({ code, message, hint } = e);
    exit = e.exitCode;
  } else if (e instanceof Error && e.name === 'SpaError') {
    // Any other typed error from @spa/shared (a ClientError is one too, handled above).
    const s = e as Error & { code: string; hint: string };
    ({ code, message, hint } = s);
    exit = code === 'bad-argument' ? 2 : 1;
  } else {
    message = `internal error: ${e instanceof Error ? e.message : String(e)}`;
    if (process.env.SPA_DEBUG && e instanceof Error && e.stack) hint = e.stack;
  }
  if (json) process.stdout.write(`${terminalJson({ ok: false, code, error: message, hint })}\n`);
  // Messages quote profile names, hosts, services and arguments: escape control characters.
  process.stderr.write(printable(`spa-client: ${message}\n${hint ? `  ${hint}\n` : ''}`));
  return exit;
}

/**
 * Node prints process warnings (deprecations, MaxListenersExceededWarning…) to stderr. None is
 * meant for the user of spa-client (their causes are fixed where found, e.g. wait-open.ts);
 * with SPA_DEBUG set they are shown, marked as debug output.
 */
function quietNodeWarnings(): void {
  process.removeAllListeners('warning');
  process.on('warning', (w) => {
    if (process.env.SPA_DEBUG) process.stderr.write(printable(`spa-client debug: ${w.name}: ${w.message}\n`));
  });
}

/**
 * A reader that closed early (`spa-client list | head -1`) is not a failure: stop quietly, as
 * `ls | head` does, instead of an unhandled EPIPE stack trace. Other stream errors still throw.
 */
export function quietOnClosedPipe(stream: NodeJS.WriteStream, exit: (code: number) => void): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    exit(0);
  });
}

export async function main(argv: readonly string[] = process.argv): Promise<number> {
  quietNodeWarnings();
  quietOnClosedPipe(process.stdout, (code) => process.exit(code));
  const dashdash = argv.indexOf('--');
  const json = (dashdash < 0 ? argv : argv.slice(0, dashdash)).includes('--json');
  let pending: Promise<number> | undefined;
  const program = buildProgram((p) => {
    pending = p;
    return p.then(() => {});
  });
  try {
    await program.parseAsync([...argv]);
    if (!pending) {
      program.outputHelp();
      return 2;
    }
    return await pending;
  } catch (e) {
    return report(e, json);
  }
}
