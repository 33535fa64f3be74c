/** Stanza → [fwknop_clients.NAME]: what is carried, what is not and why, and every refusal. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAccessConf } from '../../src/fwknop-import/access-conf.js';
import { keyBytes, type NumberedStanza, planImport, type StanzaPlan } from '../../src/fwknop-import/plan.js';
import { context, HMAC_A, HMAC_B, KEY_A, KEY_B, THREE } from './_fixtures.js';

function numbered(text: string): NumberedStanza[] {
  return parseAccessConf(text, '/etc/fwknop/access.conf').items.flatMap((i, n) =>
    i.kind === 'stanza' ? [{ number: n + 1, ...i.stanza }] : [],
  );
}

function plan(text: string, over: Parameters<typeof context>[0] = {}): StanzaPlan[] {
  return planImport(numbered(text), context(over));
}

const KEYS = `KEY_BASE64 ${KEY_A}\nHMAC_KEY_BASE64 ${HMAC_A}\n`;

function one(body: string, over: Parameters<typeof context>[0] = {}): StanzaPlan {
  return plan(`SOURCE ANY\n${body}`, over)[0]!;
}

function refusedWhy(p: StanzaPlan): string {
  return p.refused.map((r) => `${r.why} | ${r.fix}`).join('\n');
}

test('three stanzas: tables, names, services reused and created', () => {
  const [a, b, c] = plan(THREE);
  assert.equal(a!.name, 'alice');
  assert.deepEqual(a!.table, {
    key_base64: KEY_A,
    hmac_key_base64: HMAC_A,
    services: ['ssh'],
    allowed_sources: ['198.51.100.7'],
    require_literal_address: true,
    require_username: 'alice',
    default_duration: '1m',
  });
  assert.deepEqual(a!.newServices, []);
  assert.equal(b!.name, 'fwknop-2');
  assert.deepEqual(b!.table, {
    key_base64: KEY_B,
    hmac_key_base64: HMAC_B,
    hmac_digest: 'sha512',
    services: ['ssh', 'openvpn'],
    expires: '2027-01-31',
    allowed_sources: ['192.0.2.0/24', '203.0.113.9'],
    require_literal_address: true, // not set in the stanza: the import's default
    max_duration: '10m',
  });
  assert.deepEqual(b!.newServices, [{ name: 'openvpn', spec: '1194/udp' }]);
  assert.equal(c!.name, 'fwknop-3');
  assert.deepEqual(c!.table, {
    key: 'a passphrase',
    hmac_key: 'another passphrase',
    services: ['tcp8443'],
    expires: '2027-12-28T13:20:00Z',
    allowed_sources: [],
    require_literal_address: true,
  });
  assert.deepEqual(
    c!.notCarried.map((n) => [n.fwknop, n.value]),
    [
      ['ENABLE_CMD_EXEC', 'Y'],
      ['CMD_EXEC_USER', 'nobody'],
    ],
  );
  assert.match(c!.notCarried[0]!.why, /refuses command requests/);
  for (const p of [a, b, c]) assert.deepEqual(p!.refused, []);
});

test('an imported client must name its address unless the stanza says REQUIRE_SOURCE_ADDRESS N, and the import says why', () => {
  const unset = one(`${KEYS}OPEN_PORTS tcp/22\n`);
  assert.equal(unset.table.require_literal_address, true);
  const line = unset.carried.find((c) => c.fwknop === '(REQUIRE_SOURCE_ADDRESS not set)');
  assert.match(line?.spa ?? '', /require_literal_address = true: fwknop packets are not bound to a server/);
  assert.match(line?.spa ?? '', /REQUIRE_SOURCE_ADDRESS N/);
  const no = one(`${KEYS}OPEN_PORTS tcp/22\nREQUIRE_SOURCE_ADDRESS N\n`);
  assert.equal(no.table.require_literal_address, undefined, '[policy] applies');
  assert.equal(
    one(`${KEYS}OPEN_PORTS tcp/22\nREQUIRE_SOURCE_ADDRESS Y\n`).table.require_literal_address,
    true,
  );
});

test('carried lines name the fwknop variable and the spa key, secrets as (set)', () => {
  const [a, b] = plan(THREE);
  const lines = a!.carried.map((c) => `${c.fwknop} → ${c.spa}`);
  assert.ok(lines.includes('KEY_BASE64 → key_base64 (set)'));
  assert.ok(lines.includes('HMAC_KEY_BASE64 → hmac_key_base64 (set)'));
  assert.ok(lines.includes('OPEN_PORTS tcp/22 → services = ["ssh"]'));
  assert.ok(lines.includes('FW_ACCESS_TIMEOUT 60 → default_duration = "1m"'));
  assert.ok(lines.includes('REQUIRE_SOURCE_ADDRESS Y → require_literal_address = true'));
  assert.ok(b!.carried.some((c) => c.spa.includes('new in [services]: openvpn = "1194/udp"')));
  assert.ok(!JSON.stringify([a!.carried, a!.notCarried, b!.carried]).includes(KEY_A));
});

test('no HMAC key: refused, with --key-gen and --use-hmac in the fix', () => {
  const p = one(`KEY_BASE64 ${KEY_A}\nOPEN_PORTS tcp/22\n`);
  assert.equal(p.name, undefined);
  assert.match(refusedWhy(p), /no HMAC key.*\|.*fwknop --key-gen.*--use-hmac/);
});

test('GPG-only stanza refused; GPG settings beside a Rijndael key not carried', () => {
  const gpg = one('GPG_DECRYPT_ID ABCD1234\nGPG_DECRYPT_PW s3cret\nHMAC_KEY_BASE64 x\nOPEN_PORTS tcp/22\n');
  assert.match(refusedWhy(gpg), /GPG-only stanza/);
  const mixed = one(`${KEYS}OPEN_PORTS tcp/22\nGPG_HOME_DIR /root/.gnupg\nGPG_DECRYPT_PW s3cret\n`);
  assert.deepEqual(mixed.refused, []);
  assert.deepEqual(
    mixed.notCarried.map((n) => [n.fwknop, n.value]),
    [
      ['GPG_HOME_DIR', '/root/.gnupg'],
      ['GPG_DECRYPT_PW', '(set)'],
    ],
  );
  assert.match(mixed.notCarried[0]!.why, /GPG is not supported/);
});

test('no key at all, and the stock __CHANGEME__ placeholders, are refused', () => {
  assert.match(refusedWhy(one('OPEN_PORTS tcp/22\n')), /no KEY or KEY_BASE64/);
  const stock = one('KEY_BASE64 __CHANGEME__\nHMAC_KEY_BASE64 __CHANGEME__\n');
  assert.match(refusedWhy(stock), /KEY_BASE64 is still __CHANGEME__/);
  assert.match(refusedWhy(stock), /HMAC_KEY_BASE64 is still __CHANGEME__/);
  assert.match(refusedWhy(stock), /no OPEN_PORTS/);
});

test('bad base64 and over-long keys are refused', () => {
  assert.match(
    refusedWhy(one(`KEY_BASE64 not*base64\nHMAC_KEY_BASE64 ${HMAC_A}\nOPEN_PORTS tcp/22\n`)),
    /KEY_BASE64 is not base64/,
  );
  const long = Buffer.alloc(33, 1).toString('base64');
  assert.match(
    refusedWhy(one(`KEY_BASE64 ${long}\nHMAC_KEY_BASE64 ${HMAC_A}\nOPEN_PORTS tcp/22\n`)),
    /longer than 32 bytes/,
  );
});

test('command execution and NAT settings are not carried; FORCE_NAT and FORWARD_ALL Y refuse', () => {
  const p = one(
    `${KEYS}OPEN_PORTS tcp/22\nENABLE_CMD_SUDO_EXEC Y\nCMD_SUDO_EXEC_USER root\nCMD_CYCLE_OPEN /bin/open $IP\nCMD_CYCLE_CLOSE NONE\nCMD_CYCLE_TIMER 30\nSUDO_EXE /usr/bin/sudo\nFORCE_SNAT 10.0.0.1\nFORCE_MASQUERADE Y\nDISABLE_DNAT N\nFORWARD_ALL N\nDESTINATION 203.0.113.1\n`,
  );
  assert.deepEqual(p.refused, []);
  const why = Object.fromEntries(p.notCarried.map((n) => [n.fwknop, n.why]));
  for (const k of [
    'ENABLE_CMD_SUDO_EXEC',
    'CMD_SUDO_EXEC_USER',
    'CMD_CYCLE_OPEN',
    'CMD_CYCLE_CLOSE',
    'CMD_CYCLE_TIMER',
    'SUDO_EXE',
  ])
    assert.match(why[k]!, /refuses command requests/, k);
  for (const k of ['FORCE_SNAT', 'FORCE_MASQUERADE', 'DISABLE_DNAT', 'FORWARD_ALL'])
    assert.match(why[k]!, /NAT is not supported/, k);
  assert.match(why.DESTINATION!, /destination address/);
  assert.match(
    refusedWhy(one(`${KEYS}OPEN_PORTS tcp/22\nFORCE_NAT 192.168.1.2 22\n`)),
    /FORCE_NAT.*NAT is not supported/,
  );
  assert.match(refusedWhy(one(`${KEYS}OPEN_PORTS tcp/22\nFORWARD_ALL Y\n`)), /FORWARD_ALL/);
});

test('OPEN_PORTS: reuse by port/proto, well-known or PROTOPORT names, reserved and restricted ports', () => {
  const p = one(
    `${KEYS}OPEN_PORTS tcp/443, tcp/80, udp/53, tcp/2222, tcp/45000, tcp/25\nRESTRICT_PORTS tcp/25\n`,
  );
  assert.deepEqual(p.table.services, ['https', 'http', 'dns', 'tcp2222']);
  assert.deepEqual(
    p.newServices.map((s) => `${s.name}=${s.spec}`),
    ['http=80/tcp', 'dns=53/udp', 'tcp2222=2222/tcp'],
  );
  const why = p.notCarried.map((n) => `${n.fwknop} ${n.value}: ${n.why}`);
  assert.ok(
    why.some((w) => /OPEN_PORTS tcp\/45000: port 45000 is inside spa's knock ports/.test(w)),
    why.join('\n'),
  );
  assert.ok(why.some((w) => /OPEN_PORTS tcp\/25: also in RESTRICT_PORTS/.test(w)));
  assert.ok(why.some((w) => /RESTRICT_PORTS tcp\/25: spa opens only the listed services/.test(w)));
  // "ssh" taken by another port: tcp22 instead.
  const q = one(`${KEYS}OPEN_PORTS tcp/22\n`, {
    services: new Map([['ssh', { port: 2222, protocol: 'tcp' }]]),
  });
  assert.deepEqual(q.newServices, [{ name: 'tcp22', spec: '22/tcp' }]);
  assert.match(refusedWhy(one(`${KEYS}OPEN_PORTS tcp/45000\n`)), /none of the OPEN_PORTS/);
  assert.match(refusedWhy(one(`${KEYS}OPEN_PORTS icmp/1\n`)), /OPEN_PORTS item "icmp\/1"/);
});

test('no OPEN_PORTS: --services, else refused with how to fix', () => {
  assert.match(refusedWhy(one(KEYS)), /no OPEN_PORTS: fwknopd opens any port.*\|.*--services/);
  const p = one(KEYS, { defaultServices: ['ssh', 'https'] });
  assert.deepEqual(p.table.services, ['ssh', 'https']);
  assert.ok(p.carried.some((c) => c.fwknop === 'OPEN_PORTS (not set)' && c.spa.includes('from --services')));
  const r = one(`${KEYS}RESTRICT_PORTS tcp/443\n`, { defaultServices: ['ssh', 'https'] });
  assert.deepEqual(r.table.services, ['ssh']);
});

test('ENCRYPTION_MODE: CBC carried, legacy and others refused', () => {
  assert.deepEqual(one(`${KEYS}OPEN_PORTS tcp/22\nENCRYPTION_MODE CBC\n`).refused, []);
  assert.match(
    refusedWhy(one(`${KEYS}OPEN_PORTS tcp/22\nENCRYPTION_MODE legacy\n`)),
    /legacy.*\|.*-M legacy/,
  );
  assert.match(refusedWhy(one(`${KEYS}OPEN_PORTS tcp/22\nENCRYPTION_MODE ECB\n`)), /ECB is not supported/);
});

test('HMAC_DIGEST_TYPE: sha256/384/512 carried, md5/sha1/sha3 refused', () => {
  assert.equal(one(`${KEYS}OPEN_PORTS tcp/22\nHMAC_DIGEST_TYPE sha384\n`).table.hmac_digest, 'sha384');
  assert.match(refusedWhy(one(`${KEYS}OPEN_PORTS tcp/22\nHMAC_DIGEST_TYPE MD5\n`)), /MD5 is too weak/);
  assert.match(refusedWhy(one(`${KEYS}OPEN_PORTS tcp/22\nHMAC_DIGEST_TYPE SHA1\n`)), /SHA1 is too weak/);
  assert.match(
    refusedWhy(one(`${KEYS}OPEN_PORTS tcp/22\nHMAC_DIGEST_TYPE SHA3_256\n`)),
    /SHA3_256 is not supported/,
  );
});

test('expiry: MM/DD/YYYY, epoch seconds, bad dates refused, past dates flagged', () => {
  assert.equal(one(`${KEYS}OPEN_PORTS tcp/22\nACCESS_EXPIRE 12/31/2027\n`).table.expires, '2027-12-31');
  assert.equal(
    one(`${KEYS}OPEN_PORTS tcp/22\nACCESS_EXPIRE_EPOCH 1800000000\n`).table.expires,
    '2027-01-15T08:00:00Z',
  );
  assert.match(
    refusedWhy(one(`${KEYS}OPEN_PORTS tcp/22\nACCESS_EXPIRE 2027-12-31\n`)),
    /not a MM\/DD\/YYYY date/,
  );
  assert.match(
    refusedWhy(one(`${KEYS}OPEN_PORTS tcp/22\nACCESS_EXPIRE 02/30/2027\n`)),
    /not a MM\/DD\/YYYY date/,
  );
  const past = one(`${KEYS}OPEN_PORTS tcp/22\nACCESS_EXPIRE 01/01/2020\n`);
  assert.ok(past.carried.some((c) => c.spa.includes('already past')));
});

test('durations: out-of-range or longer than the maximum are not carried', () => {
  const p = one(`${KEYS}OPEN_PORTS tcp/22\nFW_ACCESS_TIMEOUT 120\nMAX_FW_TIMEOUT 60\n`);
  assert.equal(p.table.max_duration, '1m');
  assert.equal(p.table.default_duration, undefined);
  assert.match(p.notCarried[0]!.why, /longer than the longest grant/);
  const q = one(`${KEYS}OPEN_PORTS tcp/22\nFW_ACCESS_TIMEOUT 0\n`);
  assert.match(q.notCarried[0]!.why, /not a number of seconds/);
  const r = one(`${KEYS}OPEN_PORTS tcp/22\nFW_ACCESS_TIMEOUT 600\n`);
  assert.match(r.notCarried[0]!.why, /300s/); // [policy] max_duration caps it
});

test('REQUIRE_SOURCE N inherits [policy]; REQUIRE_SOURCE is a synonym', () => {
  const n = one(`${KEYS}OPEN_PORTS tcp/22\nREQUIRE_SOURCE_ADDRESS N\n`);
  assert.equal(n.table.require_literal_address, undefined);
  assert.equal(one(`${KEYS}OPEN_PORTS tcp/22\nREQUIRE_SOURCE yes\n`).table.require_literal_address, true);
});

test('a later line overrides an earlier one, and the earlier one is reported', () => {
  const p = one(
    `KEY first\nKEY_BASE64 ${KEY_A}\nHMAC_KEY_BASE64 ${HMAC_A}\nOPEN_PORTS tcp/22\nOPEN_PORTS tcp/443\n`,
  );
  assert.equal(p.table.key, undefined);
  assert.equal(p.table.key_base64, KEY_A);
  assert.deepEqual(p.table.services, ['https']);
  const over = p.notCarried.map((n) => `${n.fwknop}=${n.value}: ${n.why}`);
  assert.ok(over.includes('KEY=(set): overridden by KEY_BASE64 on line 3 (fwknopd uses the last one)'));
  assert.ok(
    over.includes('OPEN_PORTS=tcp/22: overridden by OPEN_PORTS on line 6 (fwknopd uses the last one)'),
  );
});

test('unknown variables are reported; a misspelt secret is hidden', () => {
  const p = one(`${KEYS}OPEN_PORTS tcp/22\nFROBNICATE 7\nHMAC_KEY_BASE46 hunter2\nopen_ports tcp/1\n`);
  const n = Object.fromEntries(p.notCarried.map((x) => [x.fwknop, x]));
  assert.match(n.FROBNICATE!.why, /unknown variable/);
  assert.equal(n.HMAC_KEY_BASE46!.value, '(set)');
  assert.match(n.open_ports!.why, /did you mean OPEN_PORTS/);
});

test('SOURCE: bad addresses refuse; IPv6 and lists carried', () => {
  assert.match(
    refusedWhy(plan(`SOURCE 192.0.2.300\n${KEYS}OPEN_PORTS tcp/22\n`)[0]!),
    /SOURCE "192.0.2.300"/,
  );
  assert.deepEqual(
    plan(`SOURCE 2001:db8::/32,192.0.2.1\n${KEYS}OPEN_PORTS tcp/22\n`)[0]!.table.allowed_sources,
    ['2001:db8::/32', '192.0.2.1'],
  );
});

test('names: username if free and valid, else fwknop-N / PREFIX-N; never a clash', () => {
  assert.equal(one(`${KEYS}OPEN_PORTS tcp/22\nREQUIRE_USERNAME bob\n`).name, 'fwknop-1'); // [clients.bob] exists
  assert.equal(one(`${KEYS}OPEN_PORTS tcp/22\nREQUIRE_USERNAME ali ce\n`).name, 'fwknop-1');
  assert.equal(
    one(`${KEYS}OPEN_PORTS tcp/22\nREQUIRE_USERNAME carol\n`, { prefix: 'old' }).name,
    'old-carol',
  );
  assert.equal(one(`${KEYS}OPEN_PORTS tcp/22\n`, { prefix: 'old' }).name, 'old-1');
  assert.equal(one(`${KEYS}OPEN_PORTS tcp/22\n`, { clientNames: new Set(['fwknop-1']) }).name, 'fwknop-1-2');
});

test('a re-run: same keys as an existing fwknop client is already imported, not a duplicate', () => {
  const existing = [{ name: 'alice', encKey: keyBytes(KEY_A, true), hmacKey: keyBytes(HMAC_A, true) }];
  const p = one(`${KEYS}OPEN_PORTS tcp/22\n`, { fwknopClients: existing });
  assert.equal(p.alreadyAs, 'alice');
  assert.deepEqual(p.newServices, []);
});

test('two stanzas with the same keys: the second is refused (spa finds clients by key)', () => {
  const [a, b] = plan(
    `SOURCE 192.0.2.1\n${KEYS}OPEN_PORTS tcp/22\nSOURCE 192.0.2.2\n${KEYS}OPEN_PORTS tcp/443\n`,
  );
  assert.deepEqual(a!.refused, []);
  assert.match(refusedWhy(b!), /same KEY or HMAC key as fwknop client fwknop-1/);
});

test('a service created for one stanza is reused by the next', () => {
  const [a, b] = plan(
    `SOURCE 192.0.2.1\n${KEYS}OPEN_PORTS tcp/8080\nSOURCE 192.0.2.2\nKEY_BASE64 ${KEY_B}\nHMAC_KEY_BASE64 ${HMAC_B}\nOPEN_PORTS tcp/8080\n`,
  );
  assert.deepEqual(a!.newServices, [{ name: 'tcp8080', spec: '8080/tcp' }]);
  assert.deepEqual(b!.newServices, []);
  assert.deepEqual(b!.table.services, ['tcp8080']);
});
