/** Command backend: templates are argv lists; a placeholder value is always exactly one argument. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CommandFirewall, checkTemplate, PLACEHOLDERS, substitute } from '../../src/firewall/command.js';
import { FirewallError } from '../../src/firewall/firewall.js';
import { FakeTool } from './_fake-tool.js';

function recorder(code = 0, stderr = '') {
  return new FakeTool({ interactive: () => false, marker: () => undefined, onRun: () => ({ code, stderr }) });
}

describe('command templates', () => {
  test('substitution happens inside each element and never splits it', () => {
    const hostile = { ip: '; rm -rf /', proto: 'tcp udp', port: '$(reboot)', seconds: '`id` "x"' };
    const out = substitute(
      ['/bin/fw', '{ip}', '--rule={proto}/{port}', '{seconds}', 'literal {unknown}'],
      hostile,
    );
    assert.deepEqual(out, [
      '/bin/fw',
      '; rm -rf /',
      '--rule=tcp udp/$(reboot)',
      '`id` "x"',
      'literal {unknown}',
    ]);
    assert.equal(out.length, 5);
  });

  test('a substituted value is not scanned again', () => {
    assert.deepEqual(substitute(['x', '{ip}'], { ip: '{port}', port: '22' }), ['x', '{port}']);
  });

  test('bad templates are rejected with a hint', () => {
    const cases: [unknown, readonly (typeof PLACEHOLDERS)[number][]][] = [
      [[], PLACEHOLDERS],
      [[''], PLACEHOLDERS],
      ['/bin/fw {ip}', PLACEHOLDERS],
      [['{ip}', 'x'], PLACEHOLDERS],
      [['/bin/{proto}'], PLACEHOLDERS],
      [['/bin/fw', '{address}'], PLACEHOLDERS],
      [['/bin/fw', 42], PLACEHOLDERS],
      [['/bin/fw', 'a\0b'], PLACEHOLDERS],
      [['/bin/fw', '{ip}'], []],
    ];
    for (const [argv, allowed] of cases) {
      assert.throws(
        () => checkTemplate('grant', argv, allowed),
        (e) => {
          assert.ok(e instanceof FirewallError);
          assert.equal(e.code, 'bad-argument');
          assert.match(e.hint, /placeholders/);
          return true;
        },
      );
    }
    assert.throws(() => new CommandFirewall({ templates: { grant: ['x'], start: ['x', '{ip}'] } }), {
      code: 'bad-argument',
    });
  });
});

describe('CommandFirewall', () => {
  test('grant runs the template with checked, canonical values as separate arguments', async () => {
    const tool = recorder();
    let now = 1_000_000;
    const fw = new CommandFirewall({
      templates: { grant: ['/usr/local/bin/open', '--from', '{ip}', '{proto}/{port}', '{seconds}s'] },
      spawn: tool.spawn,
      now: () => now,
    });
    await fw.grant({ address: '2001:DB8::0:7', protocol: 'udp', port: 53, seconds: 10 });
    assert.deepEqual(tool.runs[0], {
      command: '/usr/local/bin/open',
      args: ['--from', '2001:db8::7', 'udp/53', '10s'],
      input: '',
    });
    await assert.rejects(fw.grant({ address: '1.2.3.4; rm -rf /', protocol: 'tcp', port: 22, seconds: 5 }), {
      code: 'bad-argument',
    });
    assert.equal(tool.runs.length, 1, 'nothing run for a bad grant');
    assert.deepEqual(await fw.list(), [
      { address: '2001:db8::7', protocol: 'udp', port: 53, secondsLeft: 10 },
    ]);
    now += 10_000;
    assert.deepEqual(await fw.list(), [], 'expired by the injected clock');
  });

  test('a real program receives hostile-looking text as one argv element each (no shell)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spa-fw-cmd-'));
    try {
      const out = join(dir, 'argv.json');
      const script = 'require("fs").writeFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)))';
      const fw = new CommandFirewall({
        templates: {
          grant: [
            process.execPath,
            '-e',
            script,
            out,
            '{ip}',
            'x; touch {port} && echo',
            '{proto} {seconds}',
          ],
        },
      });
      await fw.grant({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 5 });
      assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), ['192.0.2.1', 'x; touch 22 && echo', 'tcp 5']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a failing command is a FirewallError with its stderr; the grant is not recorded', async () => {
    const tool = recorder(3, 'open: permission denied\n');
    const fw = new CommandFirewall({ templates: { grant: ['/bin/open', '{ip}'] }, spawn: tool.spawn });
    await assert.rejects(fw.grant({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 5 }), {
      code: 'firewall-permission',
      message: /permission denied/,
    });
    assert.deepEqual(await fw.list(), []);
  });

  test('revoke runs the revoke template per live grant of that address', async () => {
    const tool = recorder();
    const fw = new CommandFirewall({
      templates: {
        grant: ['/bin/open', '{ip}', '{port}'],
        revoke: ['/bin/close', '{ip}', '{proto}', '{port}'],
      },
      spawn: tool.spawn,
      now: () => 0,
    });
    await fw.grant({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 5 });
    await fw.grant({ address: '192.0.2.1', protocol: 'udp', port: 53, seconds: 5 });
    await fw.grant({ address: '192.0.2.2', protocol: 'tcp', port: 22, seconds: 5 });
    assert.equal(await fw.revoke('192.0.2.1'), 2);
    assert.deepEqual(
      tool.runs.slice(3).map((r) => [r.command, ...r.args]),
      [
        ['/bin/close', '192.0.2.1', 'tcp', '22'],
        ['/bin/close', '192.0.2.1', 'udp', '53'],
      ],
    );
    assert.equal(await fw.revoke('192.0.2.1'), 0);
    assert.deepEqual(
      (await fw.list()).map((g) => g.address),
      ['192.0.2.2'],
    );
  });

  test('a revoke failing part-way leaves exactly the unrevoked grants listed', async () => {
    const tool = new FakeTool({
      interactive: () => false,
      marker: () => undefined,
      onRun: (command, args) =>
        command === '/bin/close' && args.includes('udp') ? { code: 1, stderr: 'busy\n' } : { code: 0 },
    });
    const fw = new CommandFirewall({
      templates: { grant: ['/bin/open', '{ip}'], revoke: ['/bin/close', '{ip}', '{proto}', '{port}'] },
      spawn: tool.spawn,
    });
    await fw.grant({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 50 });
    await fw.grant({ address: '192.0.2.1', protocol: 'udp', port: 53, seconds: 50 });
    await assert.rejects(fw.revoke('192.0.2.1'), { code: 'firewall-failed', message: /busy/ });
    assert.deepEqual(
      (await fw.list()).map((g) => g.protocol),
      ['udp'],
    );
  });

  test('without a revoke template, revoking a live grant is firewall-unsupported', async () => {
    const tool = recorder();
    const fw = new CommandFirewall({ templates: { grant: ['/bin/open', '{ip}'] }, spawn: tool.spawn });
    assert.equal(await fw.revoke('192.0.2.1'), 0);
    await fw.grant({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 5 });
    await assert.rejects(fw.revoke('192.0.2.1'), { code: 'firewall-unsupported' });
    assert.equal((await fw.list()).length, 1, 'still listed: nothing was revoked');
  });

  test('start runs once; stop runs only for remove; prefix applies', async () => {
    const tool = recorder();
    const fw = new CommandFirewall({
      templates: { grant: ['/bin/open'], start: ['/bin/setup', '--all'], stop: ['/bin/teardown'] },
      spawn: tool.spawn,
      testSeams: { argvPrefix: ['sudo', '-n'] },
    });
    await fw.start([{ protocol: 'tcp', port: 22 }]);
    await fw.stop('keep');
    await fw.stop('remove');
    assert.deepEqual(
      tool.runs.map((r) => [r.command, ...r.args]),
      [
        ['sudo', '-n', '/bin/setup', '--all'],
        ['sudo', '-n', '/bin/teardown'],
      ],
    );
  });
});
