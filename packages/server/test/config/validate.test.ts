/** One test (at least) per validation rule: each error names the file, the key, the problem and a fix. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeSecret } from '@spa/shared';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/parse.js';
import {
  ALICE_KEY,
  assertConfigError,
  BOB_KEY,
  bytes,
  configError,
  configText,
  FILE,
  SERVER_ID,
  SERVER_SECRET,
} from './_fixtures.js';

const serverWith = (extra: string, drop: string[] = []) =>
  [
    'name = "web1"',
    'host = "192.0.2.1"',
    'interfaces = ["lo"]',
    `id = "${SERVER_ID}"`,
    `secret = "${SERVER_SECRET}"`,
  ]
    .filter((l) => !drop.some((d) => l.startsWith(`${d} `)))
    .concat(extra ? [extra] : [])
    .join('\n');
const serverReplacing = (key: string, line: string) => serverWith(line, [key]);

describe('message format', () => {
  test('unknown service: file, key with index, problem and hint, as documented', () => {
    const e = configError(
      { clients: `[clients.alice]\nkey = "${ALICE_KEY}"\nservices = ["ssh", "rdp"]` },
      'clients.alice.services[1]',
      /unknown service "rdp"/,
    );
    assert.equal(
      e.message,
      `${FILE}: clients.alice.services[1]: unknown service "rdp" (define it under [services] or remove it)`,
    );
    assert.equal(e.name, 'ConfigError');
  });

  test('TOML syntax errors give line and column', () => {
    let err: unknown;
    try {
      parseConfig('[server]\nname = "web1\n', FILE);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof ConfigError);
    assert.equal(err.code, 'config-syntax');
    assert.match(err.key, /^line 2, column \d+$/);
    assert.match(err.message, /invalid TOML/);
    assert.match(err.message, /, in: "name = \\"web1"/); // the offending line, as a JSON string
  });

  test('the TOML excerpt never shows a secret', () => {
    const secret = 'spas1us2ft2t2boycu2dkeyjvpjtszfuxp2grw2awvtdrlcrqe4ter65tihwwdu';
    for (const [text, line] of [
      [`[server]\nsecret = ${secret}\n`, 'secret = [redacted]'], // unquoted: the syntax error is on the secret's line
      [`[fwknop_clients.a]\nkey_base64 = "abc\n`, 'key_base64 = [redacted]'],
      [`[server]\nname = ${secret}x y\n`, 'name = [redacted] y'],
    ] as const) {
      let err: unknown;
      try {
        parseConfig(text, FILE);
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof ConfigError, text);
      assert.equal(err.code, 'config-syntax');
      assert.ok(err.message.includes(`in: "${line}"`), err.message);
      assert.ok(!err.message.includes(secret.slice(10, 30)), err.message);
    }
  });
});

describe('structure', () => {
  test('missing [server]', () => {
    let err: unknown;
    try {
      parseConfig('[services]\nssh = "22/tcp"\n', FILE);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof ConfigError);
    assert.equal(err.key, 'server');
    assert.match(err.hint, /spa-server init/);
  });
  test('unknown top-level table', () =>
    assertConfigError({ extra: '[sevrices]\nx = 1' }, 'sevrices', /unknown key/));
  test('unknown key suggests the closest known one', () => {
    const e = configError({ knock: 'stpe = "30s"' }, 'knock.stpe', /unknown key "stpe"/);
    assert.match(e.hint, /did you mean "step"/);
  });
  test('a section that is not a table', () => {
    assert.throws(
      () => parseConfig(configText().replace('[services]', 'knock = 3\n[services]'), FILE),
      /knock/,
    );
  });
});

describe('[metrics]', () => {
  test('textfile: an absolute path, read into metricsTextfile; a relative one is refused with an example', () => {
    const ok = parseConfig(
      `${configText()}\n[metrics]\ntextfile = "/var/lib/node-exporter/spa.prom"\n`,
      FILE,
    );
    assert.equal(ok.metricsTextfile, '/var/lib/node-exporter/spa.prom');
    assert.equal(parseConfig(configText(), FILE).metricsTextfile, undefined);
    assert.throws(
      () => parseConfig(`${configText()}\n[metrics]\ntextfile = "spa.prom"\n`, FILE),
      (e: unknown) =>
        e instanceof ConfigError && e.key === 'metrics.textfile' && /absolute path/.test(e.message),
    );
  });
});

describe('[server]', () => {
  test('name required', () =>
    assertConfigError({ server: serverWith('', ['name']) }, 'server.name', /missing/));
  test('name pattern', () =>
    assertConfigError(
      { server: serverReplacing('name', 'name = "web 1"') },
      'server.name',
      /not a valid name/,
    ));
  test('host required', () =>
    assertConfigError({ server: serverWith('', ['host']) }, 'server.host', /missing/));
  test('host pattern', () =>
    assertConfigError({ server: serverReplacing('host', 'host = "a b"') }, 'server.host', /not a host/));
  test('interfaces required', () =>
    assertConfigError({ server: serverWith('', ['interfaces']) }, 'server.interfaces', /missing/));
  test('interfaces not empty', () =>
    assertConfigError(
      { server: serverReplacing('interfaces', 'interfaces = []') },
      'server.interfaces',
      /empty/,
    ));
  test('interface names', () =>
    assertConfigError(
      { server: serverReplacing('interfaces', 'interfaces = ["eth0", "eth/1"]') },
      'server.interfaces[1]',
      /not an interface name/,
    ));
  test('interface name too long', () =>
    assertConfigError(
      { server: serverReplacing('interfaces', 'interfaces = ["abcdefghijklmnop"]') },
      'server.interfaces[0]',
      /not an interface name/,
    ));
  test('interface listed twice', () =>
    assertConfigError(
      { server: serverReplacing('interfaces', 'interfaces = ["lo", "lo"]') },
      'server.interfaces[1]',
      /twice/,
    ));
  test('"any" alone', () =>
    assertConfigError(
      { server: serverReplacing('interfaces', 'interfaces = ["any", "lo"]') },
      'server.interfaces',
      /any/,
    ));
  test('interfaces must be strings', () =>
    assertConfigError(
      { server: serverReplacing('interfaces', 'interfaces = ["lo", 3]') },
      'server.interfaces[1]',
      /string/,
    ));
  test('state_dir absolute', () =>
    assertConfigError({ server: serverWith('state_dir = "var/lib/spa"') }, 'server.state_dir', /absolute/));
  test('id: 32 hex digits', () =>
    assertConfigError({ server: serverReplacing('id', 'id = "abc"') }, 'server.id', /32 hex/));
  test('secret required', () =>
    assertConfigError({ server: serverWith('', ['secret']) }, 'server.secret', /missing/));
  test('secret checksum', () => {
    const damaged = SERVER_SECRET.slice(0, -1) + (SERVER_SECRET.endsWith('a') ? 'b' : 'a');
    assertConfigError(
      { server: serverReplacing('secret', `secret = "${damaged}"`) },
      'server.secret',
      /checksum/,
    );
  });
  test('secret: a client key is not a server secret', () =>
    assertConfigError(
      { server: serverReplacing('secret', `secret = "${ALICE_KEY}"`) },
      'server.secret',
      /client key/,
    ));
  test('secret must be a string', () =>
    assertConfigError(
      { server: serverReplacing('secret', 'secret = 42') },
      'server.secret',
      /expected a string/,
    ));
  test('log_level', () =>
    assertConfigError(
      { server: serverWith('log_level = "verbose"') },
      'server.log_level',
      /one of error, warn, info, debug/,
    ));
});

describe('[knock]', () => {
  test('port and port_range exclusive', () =>
    assertConfigError({ knock: 'port = 62201\nport_range = "40000-49999"' }, 'knock.port', /both/));
  test('port_range syntax', () =>
    assertConfigError({ knock: 'port_range = "40000:49999"' }, 'knock.port_range', /port range/));
  test('port_range order', () =>
    assertConfigError({ knock: 'port_range = "49999-40000"' }, 'knock.port_range', /port range/));
  test('port_range bounds', () =>
    assertConfigError({ knock: 'port_range = [0, 100]' }, 'knock.port_range', /port range/));
  test('fixed port bounds', () => assertConfigError({ knock: 'port = 70000' }, 'knock.port', /1 to 65535/));
  test('step is a duration', () =>
    assertConfigError({ knock: 'step = "30 seconds"' }, 'knock.step', /duration/));
  test('step in whole seconds', () =>
    assertConfigError({ knock: 'step = "1500ms"' }, 'knock.step', /whole seconds/));
  test('step range', () => assertConfigError({ knock: 'step = "2h"' }, 'knock.step', /from 1s to 3600s/));
  test('max_past range', () =>
    assertConfigError({ knock: 'max_past = "2h"' }, 'knock.max_past', /from 0s to 3600s/));
  test('max_future type', () =>
    assertConfigError({ knock: 'max_future = true' }, 'knock.max_future', /duration/));
});

describe('[sequence]', () => {
  test('length range', () => assertConfigError({ sequence: 'length = 17' }, 'sequence.length', /1 to 16/));
  test('protocol', () =>
    assertConfigError({ sequence: 'protocol = "sctp"' }, 'sequence.protocol', /tcp, udp, mixed/));
  test('range large enough for the length', () =>
    assertConfigError(
      { sequence: 'length = 4\nport_range = "50000-50010"' },
      'sequence.port_range',
      /at least 64/,
    ));
  test('gap range', () => assertConfigError({ sequence: 'gap = "50ms"' }, 'sequence.gap', /from 100ms/));
  test('enabled is a boolean', () =>
    assertConfigError({ sequence: 'enabled = "yes"' }, 'sequence.enabled', /true or false/));
  test('sequence range must not overlap the knock range', () =>
    assertConfigError(
      { sequence: 'port_range = "45000-55000"' },
      'sequence.port_range',
      /overlaps the knock port range/,
    ));
  test('... nor contain the fixed knock port', () =>
    assertConfigError({ knock: 'port = 50001' }, 'knock.port', /overlaps the knock port 50001/));
  test('no overlap check when sequences are disabled', () => {
    const c = parseConfig(configText({ sequence: 'enabled = false\nport_range = "45000-55000"' }), FILE);
    assert.equal(c.sequence, undefined);
  });
});

describe('[policy]', () => {
  test('default ≤ max', () =>
    assertConfigError(
      { policy: 'default_duration = "10m"\nmax_duration = "5m"' },
      'policy.default_duration',
      /longer than max/,
    ));
  test('default ≤ default max (300 s)', () =>
    assertConfigError(
      { policy: 'default_duration = "6m"' },
      'policy.default_duration',
      /longer than max_duration \(300s\)/,
    ));
  test('max at most a day', () =>
    assertConfigError({ policy: 'max_duration = "2d"' }, 'policy.max_duration', /duration/));
  test('max at most a day (in range)', () =>
    assertConfigError({ policy: 'max_duration = 90000' }, 'policy.max_duration', /to 86400s/));
  test('at least a second', () =>
    assertConfigError({ policy: 'default_duration = 0' }, 'policy.default_duration', /from 1s/));
  test('require_literal_address boolean', () =>
    assertConfigError(
      { policy: 'require_literal_address = 1' },
      'policy.require_literal_address',
      /true or false/,
    ));
  test('allowed_sources are CIDRs', () =>
    assertConfigError(
      { policy: 'allowed_sources = ["192.0.2.0/24", "192.0.2.0/33"]' },
      'policy.allowed_sources[1]',
      /not an address or CIDR/,
    ));
});

describe('[firewall]', () => {
  test('backend', () =>
    assertConfigError({ firewall: 'backend = "pf"' }, 'firewall.backend', /one of nftables/));
  test('table name', () =>
    assertConfigError({ firewall: 'table = "Spa-Table"' }, 'firewall.table', /not a valid name/));
  test('on_stop', () =>
    assertConfigError({ firewall: 'on_stop = "flush"' }, 'firewall.on_stop', /keep, remove/));
  test('command backend needs templates', () =>
    assertConfigError(
      { firewall: 'backend = "command"' },
      'firewall.backend',
      /\[firewall.command\] is missing/,
    ));
  test('command needs grant', () =>
    assertConfigError(
      { firewall: 'backend = "command"\n[firewall.command]\nrevoke = ["/bin/true"]' },
      'firewall.command.grant',
      /missing/,
    ));
  test('templates are non-empty argv arrays', () =>
    assertConfigError(
      { firewall: 'backend = "command"\n[firewall.command]\ngrant = []' },
      'firewall.command.grant',
      /non-empty/,
    ));
  test('template argv must be strings', () =>
    assertConfigError(
      { firewall: 'backend = "command"\n[firewall.command]\ngrant = "/bin/open {ip}"' },
      'firewall.command.grant',
      /array of strings/,
    ));
  test('only known placeholders', () =>
    assertConfigError(
      { firewall: 'backend = "command"\n[firewall.command]\ngrant = ["/bin/open", "{ip}", "{host}"]' },
      'firewall.command.grant[2]',
      /unknown placeholder \{host\}/,
    ));
  test('unknown template', () =>
    assertConfigError(
      { firewall: 'backend = "command"\n[firewall.command]\ngrant = ["/bin/true"]\nrefresh = ["/bin/true"]' },
      'firewall.command.refresh',
      /unknown key/,
    ));
  test('a valid command backend', () => {
    const c = parseConfig(
      configText({
        firewall:
          'backend = "command"\n[firewall.command]\ngrant = ["/bin/open", "{ip}", "{proto}/{port}", "{seconds}"]\nrevoke = ["/bin/close", "{ip}"]',
      }),
      FILE,
    );
    assert.deepEqual(c.firewall.command, {
      grant: ['/bin/open', '{ip}', '{proto}/{port}', '{seconds}'],
      revoke: ['/bin/close', '{ip}'],
    });
  });
});

describe('[services]', () => {
  test('spec syntax', () => assertConfigError({ services: 'ssh = "22"' }, 'services.ssh', /PORT\/PROTO/));
  test('spec protocol', () =>
    assertConfigError({ services: 'ssh = "22/sctp"' }, 'services.ssh', /PORT\/PROTO/));
  test('spec type', () => assertConfigError({ services: 'ssh = 22' }, 'services.ssh', /PORT\/PROTO/));
  test('service names', () =>
    assertConfigError(
      { services: 'SSH = "22/tcp"', clients: '' },
      'services.SSH',
      /not a valid service name/,
    ));
  test('service inside the knock range', () =>
    assertConfigError(
      { services: 'ssh = "22/tcp"\nweird = "45000/udp"' },
      'services.weird',
      /inside the knock port range 40000-49999/,
    ));
  test('service on the fixed knock port', () =>
    assertConfigError(
      { knock: 'port = 62201', services: 'ssh = "22/tcp"\nx = "62201/tcp"' },
      'services.x',
      /the knock port 62201/,
    ));
  test('service inside the sequence range', () =>
    assertConfigError(
      { services: 'ssh = "22/tcp"\nx = "55555/tcp"' },
      'services.x',
      /sequence port range 50000-59999/,
    ));
  test('... allowed when sequences are disabled', () => {
    const c = parseConfig(
      configText({ sequence: 'enabled = false', services: 'ssh = "22/tcp"\nx = "55555/tcp"' }),
      FILE,
    );
    assert.equal(c.services.get('x')?.port, 55555);
  });
});

describe('[clients.NAME]', () => {
  const client = (body: string, name = 'alice') => ({ clients: `[clients.${name}]\n${body}` });
  test('key required', () => assertConfigError(client('services = ["ssh"]'), 'clients.alice.key', /missing/));
  test('key checksum', () => {
    const damaged = ALICE_KEY.slice(0, -2) + (ALICE_KEY.endsWith('aa') ? 'bb' : 'aa');
    assertConfigError(client(`key = "${damaged}"\nservices = ["ssh"]`), 'clients.alice.key', /checksum/);
  });
  test('key truncated', () =>
    assertConfigError(
      client(`key = "${ALICE_KEY.slice(0, 30)}"\nservices = ["ssh"]`),
      'clients.alice.key',
      /wrong length/,
    ));
  test('server secret given as a client key', () =>
    assertConfigError(
      client(`key = "${SERVER_SECRET}"\nservices = ["ssh"]`),
      'clients.alice.key',
      /server key/,
    ));
  test('keys are unique', () =>
    assertConfigError(
      {
        clients: `[clients.alice]\nkey = "${ALICE_KEY}"\nservices = ["ssh"]\n[clients.bob]\nkey = "${ALICE_KEY}"\nservices = ["ssh"]`,
      },
      'clients.bob.key',
      /same key as clients.alice/,
    ));
  test('services required', () =>
    assertConfigError(client(`key = "${ALICE_KEY}"`), 'clients.alice.services', /missing/));
  test('services not empty', () =>
    assertConfigError(client(`key = "${ALICE_KEY}"\nservices = []`), 'clients.alice.services', /empty/));
  test('services not repeated', () =>
    assertConfigError(
      client(`key = "${ALICE_KEY}"\nservices = ["ssh", "ssh"]`),
      'clients.alice.services[1]',
      /twice/,
    ));
  test('expires must be a date', () =>
    assertConfigError(
      client(`key = "${ALICE_KEY}"\nservices = ["ssh"]\nexpires = "next year"`),
      'clients.alice.expires',
      /date/,
    ));
  test('expires must exist on the calendar', () =>
    assertConfigError(
      client(`key = "${ALICE_KEY}"\nservices = ["ssh"]\nexpires = "2027-02-30"`),
      'clients.alice.expires',
      /date/,
    ));
  test('revoked boolean', () =>
    assertConfigError(
      client(`key = "${ALICE_KEY}"\nservices = ["ssh"]\nrevoked = "no"`),
      'clients.alice.revoked',
      /true or false/,
    ));
  test('allowed_sources', () =>
    assertConfigError(
      client(`key = "${ALICE_KEY}"\nservices = ["ssh"]\nallowed_sources = ["10.0.0.0/8", "nope"]`),
      'clients.alice.allowed_sources[1]',
      /not an address/,
    ));
  test('unknown key', () =>
    assertConfigError(
      client(`key = "${ALICE_KEY}"\nservices = ["ssh"]\nexpiry = "2027-01-01"`),
      'clients.alice.expiry',
      /unknown key/,
    ));
  test('client names', () =>
    assertConfigError(
      client(`key = "${ALICE_KEY}"\nservices = ["ssh"]`, '"bad name"'),
      'clients."bad name"',
      /not a valid client name/,
    ));
  test('a client is a table', () =>
    assertConfigError({ clients: '[clients]\nalice = 3' }, 'clients.alice', /expected a table/));

  test('expiry forms', () => {
    const at = (v: string) =>
      parseConfig(
        configText(client(`key = "${ALICE_KEY}"\nservices = ["ssh"]\nexpires = ${v}`)),
        FILE,
      ).clients.get('alice')?.expiresAtMs;
    assert.equal(at('"2027-06-30"'), Date.UTC(2027, 5, 30));
    assert.equal(at('2027-06-30'), Date.UTC(2027, 5, 30)); // TOML local date
    assert.equal(at('"2027-06-30T12:00:00Z"'), Date.UTC(2027, 5, 30, 12));
    assert.equal(at('"2027-06-30T12:00:00+02:00"'), Date.UTC(2027, 5, 30, 10));
    assert.equal(at('"2027-06-30T12:00:00"'), Date.UTC(2027, 5, 30, 12)); // no offset: UTC
    assert.equal(at('2027-06-30T12:00:00Z'), Date.UTC(2027, 5, 30, 12)); // TOML date-time
  });

  test('quoted names and several clients', () => {
    const c = parseConfig(
      configText({
        clients: `[clients."bob.laptop"]\nkey = "${BOB_KEY}"\nservices = ["https"]\n[clients.alice]\nkey = "${encodeSecret('client', bytes(9))}"\nservices = ["ssh"]`,
      }),
      FILE,
    );
    assert.deepEqual([...c.clients.keys()], ['bob.laptop', 'alice']);
  });
});
