/** access.conf text → stanzas: variables, comments, directives, line numbers. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAccessConf, parseKeysFile } from '../../src/fwknop-import/access-conf.js';
import { HMAC_A, KEY_A, THREE } from './_fixtures.js';

const stanzas = (text: string) =>
  parseAccessConf(text, '/etc/fwknop/access.conf').items.flatMap((i) =>
    i.kind === 'stanza' ? [i.stanza] : [],
  );

test('stanzas begin at each SOURCE and keep their line numbers', () => {
  const s = stanzas(THREE);
  assert.equal(s.length, 3);
  assert.deepEqual(
    s.map((x) => [x.line, x.source]),
    [
      [4, '198.51.100.7'],
      [12, '192.0.2.0/24, 203.0.113.9'],
      [20, 'ANY'],
    ],
  );
  assert.deepEqual(s[0]!.entries[0], {
    key: 'KEY_BASE64',
    value: KEY_A,
    file: '/etc/fwknop/access.conf',
    line: 5,
  });
  assert.equal(s[0]!.entries.length, 6);
});

test('a ";" ends the value, a ":" after the name is dropped, CRLF is fine', () => {
  const s = stanzas(THREE);
  assert.equal(s[1]!.entries.find((e) => e.key === 'OPEN_PORTS')!.value, 'tcp/22, udp/1194');
  const crlf = stanzas('SOURCE: ANY\r\nKEY_BASE64:  abc= \r\n');
  assert.equal(crlf[0]!.source, 'ANY');
  assert.deepEqual(
    crlf[0]!.entries.map((e) => [e.key, e.value]),
    [['KEY_BASE64', 'abc=']],
  );
});

test('comments (# and ;), blank and indented comment lines are skipped', () => {
  const s = stanzas(`# c\n; c\n   # indented\n\nSOURCE ANY\n#KEY nope\nKEY yes\n`);
  assert.deepEqual(
    s[0]!.entries.map((e) => e.key),
    ['KEY'],
  );
});

test('variables before the first SOURCE are problems, secrets not echoed', () => {
  const r = parseAccessConf(`KEY hunter2\nFW_ACCESS_TIMEOUT 30\nSOURCE ANY\n`, 'a.conf');
  assert.equal(r.problems.length, 2);
  assert.equal(r.problems[0]!.line, 1);
  assert.equal(r.problems[0]!.text, 'KEY (set)');
  assert.match(r.problems[1]!.why, /before the first SOURCE/);
  assert.ok(!JSON.stringify(r).includes('hunter2'));
});

test('a variable without a value and an unknown directive are problems', () => {
  const r = parseAccessConf(`SOURCE ANY\nOPEN_PORTS\n%frobnicate x\n%include\n`, 'a.conf');
  assert.deepEqual(
    r.problems.map((p) => [p.line, p.why]),
    [
      [2, 'OPEN_PORTS has no value'],
      [3, 'unknown directive %frobnicate'],
      [4, '%include without a path'],
    ],
  );
});

test('%include and %include_folder are recorded in order; %include_keys belongs to its stanza', () => {
  const r = parseAccessConf(
    `SOURCE 192.0.2.1\nOPEN_PORTS tcp/22\n%include_keys /etc/fwknop/keys.conf\n%include /etc/fwknop/more.conf\nKEY stray\n%include_folder /etc/fwknop/access.d\nSOURCE ANY\n`,
    'a.conf',
  );
  assert.deepEqual(
    r.items.map((i) =>
      i.kind === 'stanza' ? `stanza:${i.stanza.line}` : `${i.directive.kind}:${i.directive.line}`,
    ),
    ['stanza:1', 'include:4', 'include_folder:6', 'stanza:7'],
  );
  const first = r.items[0]!;
  assert.ok(first.kind === 'stanza');
  assert.deepEqual(
    first.stanza.includeKeys.map((d) => d.path),
    ['/etc/fwknop/keys.conf'],
  );
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0]!.line, 5);
  assert.match(r.problems[0]!.why, /after an %include/);
});

test('unknown variables are kept (the mapper reports them)', () => {
  const s = stanzas('SOURCE ANY\nFROBNICATE 1\nkey lower\n');
  assert.deepEqual(
    s[0]!.entries.map((e) => e.key),
    ['FROBNICATE', 'key'],
  );
});

test('keys files: key variables only', () => {
  const r = parseKeysFile(
    `# keys\nKEY_BASE64 ${KEY_A}\nHMAC_KEY_BASE64 ${HMAC_A}\nOPEN_PORTS tcp/1\n`,
    'k.conf',
  );
  assert.deepEqual(
    r.entries.map((e) => [e.key, e.line]),
    [
      ['KEY_BASE64', 2],
      ['HMAC_KEY_BASE64', 3],
    ],
  );
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0]!.line, 4);
});

test('the stock /etc/fwknop/access.conf: one SOURCE ANY stanza, the commented examples ignored', (t) => {
  const path = '/etc/fwknop/access.conf';
  if (!existsSync(path)) return t.skip('fwknop-server is not installed');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return t.skip(`${path} is not readable`);
  }
  if (!text.includes('__CHANGEME__')) return t.skip(`${path} is not the stock file`);
  const r = parseAccessConf(text, path);
  const s = r.items.flatMap((i) => (i.kind === 'stanza' ? [i.stanza] : []));
  assert.equal(s.length, 1);
  assert.equal(s[0]!.source, 'ANY');
  assert.deepEqual(
    s[0]!.entries.map((e) => [e.key, e.value]),
    [
      ['KEY_BASE64', '__CHANGEME__'],
      ['HMAC_KEY_BASE64', '__CHANGEME__'],
    ],
  );
  assert.deepEqual(r.problems, []);
  assert.equal(r.items.length, 1);
});
