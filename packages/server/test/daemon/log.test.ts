/** The logger: JSON lines, a readable form for terminals, and secrets that never reach the output. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { encodeSecret } from '@spa/shared';
import { parseConfig } from '../../src/config/parse.js';
import { createLogger, formatRecord, REDACTED, syslogPriority } from '../../src/daemon/log.js';
import { configText, FILE } from '../config/_fixtures.js';

function capture(pretty: boolean, level: 'debug' | 'info' = 'debug') {
  const lines: string[] = [];
  const logger = createLogger({ level, pretty, destination: { write: (s: string) => lines.push(s) } });
  return { logger, text: () => lines.join('') };
}

describe('secrets never appear in log output', () => {
  const config = parseConfig(configText(), FILE);
  const alice = config.clients.get('alice')!;
  const keyText = encodeSecret('client', alice.secret);
  const serverText = encodeSecret('server', config.serverSecret);
  const secretsAsText = [
    keyText,
    serverText,
    Buffer.from(alice.secret).toString('hex'),
    Buffer.from(alice.keys.enc).toString('hex'),
    JSON.stringify(Array.from(alice.secret)),
  ];

  for (const pretty of [false, true]) {
    test(pretty ? 'pretty' : 'json', () => {
      const { logger, text } = capture(pretty);
      const log = logger.child({ component: 'test' });
      log.info({ client: alice }, 'a client object');
      log.info({ client: { name: 'alice', key: keyText } }, 'a client as in the file');
      log.info(
        { key: keyText, secret: serverText, clientKey: keyText, serverSecret: serverText },
        'top level',
      );
      log.warn({ reload: { clients: [{ name: 'alice', key: keyText }] } }, 'nested');
      log.debug({ config: { serverSecret: config.serverSecret, server: { secret: serverText } } }, 'config');
      const out = text();
      for (const s of secretsAsText) assert.ok(!out.includes(s), `leaked ${s.slice(0, 12)}… in:\n${out}`);
      assert.ok(out.includes(REDACTED));
      assert.ok(out.includes('alice'), 'non-secret fields stay');
    });
  }
});

describe('format', () => {
  test('JSON lines with level, time, component, msg', () => {
    const { logger, text } = capture(false);
    logger.child({ component: 'verify' }).info({ address: '192.0.2.1' }, 'knock accepted');
    const rec = JSON.parse(text().trim()) as Record<string, unknown>;
    assert.equal(rec.level, 30);
    assert.equal(rec.component, 'verify');
    assert.equal(rec.msg, 'knock accepted');
    assert.equal(rec.address, '192.0.2.1');
    assert.match(String(rec.time), /^\d{4}-\d\d-\d\dT/);
  });

  test('levels filter', () => {
    const { logger, text } = capture(false, 'info');
    logger.debug('hidden');
    logger.info('shown');
    assert.ok(!text().includes('hidden'));
    assert.ok(text().includes('shown'));
  });

  test('pretty: HH:MM:SS LEVEL component msg key=value', () => {
    const { logger, text } = capture(true);
    logger
      .child({ component: 'verify' })
      .info({ client: 'alice', note: 'two words', n: 3 }, 'knock accepted');
    assert.match(
      text(),
      /^\d\d:\d\d:\d\d INFO {2}verify knock accepted client=alice note="two words" n=3\n$/,
    );
  });

  test('pretty errors show the message, and the stack at error level', () => {
    const line = formatRecord({
      level: 50,
      time: 0,
      msg: 'failed',
      err: { message: 'boom', stack: 'Error: boom\n    at f (x.js:1:1)' },
    });
    assert.match(line, /ERROR failed err=boom\n {4}at f \(x\.js:1:1\)$/);
  });
});

describe('under journald', () => {
  test('each line starts with its syslog priority: <3> error, <4> warn, <6> info, <7> debug', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'debug', destination: { write: (c) => lines.push(c) }, journal: true });
    log.error('e');
    log.warn('w');
    log.info('i');
    log.debug('d');
    assert.deepEqual(
      lines.map((l) => l.slice(0, 3)),
      ['<3>', '<4>', '<6>', '<7>'],
    );
    assert.equal(JSON.parse(lines[0]!.slice(3)).msg, 'e', 'the rest is the JSON line');
    assert.equal(syslogPriority(60), 2);
  });

  test('on by itself when stdout is the stream $JOURNAL_STREAM names; off when it names another', () => {
    const logModule = fileURLToPath(new URL('../../src/daemon/log.js', import.meta.url));
    const script = `import(${JSON.stringify(logModule)}).then((m) => { const l = m.createLogger({ pretty: false }); l.error('TRIAL NOT CONFIRMED'); l.info('listening'); })`;
    // The shell names its own stdout (the pipe node inherits) the way systemd does: DEVICE:INODE.
    const run = (stream: string) =>
      spawnSync('sh', ['-c', `JOURNAL_STREAM=${stream} exec "$0" -e "$1"`, process.execPath, script], {
        encoding: 'utf8',
      }).stdout;
    const under = run('$(stat -L -c %d:%i /proc/$$/fd/1)').trim().split('\n');
    assert.match(under[0]!, /^<3>\{"level":50,.*"msg":"TRIAL NOT CONFIRMED"/);
    assert.match(under[1]!, /^<6>\{"level":30/);
    const other = run('1:1').trim().split('\n');
    assert.match(other[0]!, /^\{"level":50/, 'not the journal: plain JSON');
  });
});
