/**
 * Two-factor knocks in the pipeline: size → lookup → HMAC → decrypt → … → replay → signature
 * → record → policy. Attacks first: a stolen profile without the key, a replay (which must
 * never cost a signature check), a flood of fresh forged signatures (budgeted, shed counted).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignatureBudget } from '../../src/verify/signature-budget.js';
import { testSshKey } from '../support/ssh-keys.js';
import { granted, NOW, rig } from './_harness.js';

const alice = testSshKey('ssh-ed25519');
const thief = testSshKey('ssh-ed25519');

/** The pipeline's monotonic clock (the signature budget's), moved by hand. */
let mono = 0;

function twoFactorRig(
  opts: { requireSshKey?: boolean; budget?: { burst: number; ratePerSecond: number } } = {},
) {
  return rig({
    monotonic: () => mono,
    fixture: {
      clients: [
        { name: 'alice', services: ['ssh'], sshKey: alice.key },
        { name: 'bob', services: ['dns'] },
      ],
      policy: { requireSshKey: opts.requireSshKey ?? false },
    },
    ...(opts.budget ? { signatureBudget: opts.budget } : {}),
  });
}

describe('KnockPipeline: two-factor knocks', () => {
  it('a knock signed by the client key is granted', async () => {
    const r = twoFactorRig();
    r.pipeline.handle(r.fixture.udp(r.fixture.knock('alice', NOW, { sign: alice.sign }), NOW), NOW);
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1);
    assert.deepEqual(r.pipeline.counters.snapshot(), { grant: 1 });
  });

  it('a stolen profile alone (unsigned, or signed by another key) opens nothing: `signature`, id not spent', async () => {
    const r = twoFactorRig();
    const f = r.fixture;
    r.pipeline.handle(f.udp(f.knock('alice', NOW), NOW), NOW);
    r.pipeline.handle(f.udp(f.knock('alice', NOW, { sign: thief.sign }), NOW), NOW);
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 0);
    assert.equal(r.pipeline.counters.get('signature'), 2);
    assert.equal(r.store.size, 0, 'a refused signature records nothing (no disk write)');
  });

  it('a replay of a valid signed knock is `replay` and costs no signature check', async () => {
    let checks = 0;
    const counting = (m: Uint8Array) => alice.sign(m);
    const r = twoFactorRig({ budget: { burst: 1, ratePerSecond: 0.001 } });
    const k = r.fixture.knock('alice', NOW, { sign: counting });
    r.pipeline.handle(r.fixture.udp(k, NOW), NOW);
    for (let i = 1; i <= 50; i++) {
      r.pipeline.handle(r.fixture.udp(k, NOW + i, { src: '203.0.113.66' }), NOW + i);
      checks++;
    }
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1);
    assert.equal(r.pipeline.counters.get('replay'), checks);
    // the budget had one check: had any replay reached the signature, it would be shed
    assert.equal(r.pipeline.counters.get('signature-budget'), 0);
    // and a fresh signed knock now finds the budget spent by the one real check
    r.pipeline.handle(
      r.fixture.udp(r.fixture.knock('alice', NOW + 100, { sign: alice.sign }), NOW + 100),
      NOW + 100,
    );
    assert.equal(r.pipeline.counters.get('signature-budget'), 1);
  });

  it('a flood of fresh, authentic knocks with forged signatures is budgeted per client; shed work has its own reason', async () => {
    const r = twoFactorRig({ budget: { burst: 5, ratePerSecond: 2 } });
    const f = r.fixture;
    for (let i = 0; i < 40; i++)
      r.pipeline.handle(f.udp(f.knock('alice', NOW, { sign: thief.sign }), NOW), NOW);
    assert.equal(r.pipeline.counters.get('signature'), 5);
    assert.equal(r.pipeline.counters.get('signature-budget'), 35);
    // one second later, two more checks
    mono += 1000;
    for (let i = 0; i < 10; i++)
      r.pipeline.handle(f.udp(f.knock('alice', NOW + 1000, { sign: thief.sign }), NOW + 1000), NOW + 1000);
    assert.equal(r.pipeline.counters.get('signature'), 7);
    // bob (no ssh key) is not touched by alice's budget
    r.pipeline.handle(f.udp(f.knock('bob', NOW + 1000), NOW + 1000), NOW + 1000);
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1);
  });

  it('a wall clock set back does not stop the budget refilling (it runs on the monotonic clock)', () => {
    const r = twoFactorRig({ budget: { burst: 1, ratePerSecond: 1 } });
    const f = r.fixture;
    r.pipeline.handle(f.udp(f.knock('alice', NOW, { sign: thief.sign }), NOW), NOW);
    assert.equal(r.pipeline.counters.get('signature'), 1);
    // The wall clock goes back 20 s while 2 s pass: the budget has refilled.
    mono += 2000;
    const back = NOW - 20_000;
    r.pipeline.handle(f.udp(f.knock('alice', back, { sign: thief.sign }), back), back);
    assert.equal(r.pipeline.counters.get('signature'), 2);
    assert.equal(r.pipeline.counters.get('signature-budget') ?? 0, 0);
  });

  it('require_ssh_key: a client without a key opens nothing; a signed client still opens', async () => {
    const r = twoFactorRig({ requireSshKey: true });
    const f = r.fixture;
    r.pipeline.handle(f.udp(f.knock('bob', NOW), NOW), NOW);
    r.pipeline.handle(f.udp(f.knock('alice', NOW, { sign: alice.sign }), NOW), NOW);
    await r.pipeline.idle();
    assert.equal(r.pipeline.counters.get('signature'), 1);
    assert.equal(granted(r.firewall).length, 1);
  });

  it('require_ssh_key and ssh keys turn one-time sequences off for those clients', async () => {
    const r = twoFactorRig();
    const f = r.fixture;
    for (const k of f.sequence('alice', 'ssh', NOW)) r.pipeline.handle(f.sequencePacket(k), NOW);
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 0, 'alice has an ssh key: no sequences');
  });

  for (const type of [
    'sk-ssh-ed25519@openssh.com',
    'sk-ecdsa-sha2-nistp256@openssh.com',
    'ecdsa-sha2-nistp256',
  ] as const) {
    it(`${type}: verified; require_touch refuses an untouched security key`, async () => {
      const touched = testSshKey(type, { flags: 1 });
      const r = rig({
        fixture: { clients: [{ name: 'alice', services: ['ssh'], sshKey: touched.key, requireTouch: true }] },
      });
      const f = r.fixture;
      r.pipeline.handle(f.udp(f.knock('alice', NOW, { sign: touched.sign }), NOW), NOW);
      if (type.startsWith('sk-')) {
        const untouched = testSshKey(type, { flags: 0 });
        const r2 = rig({
          fixture: {
            clients: [{ name: 'alice', services: ['ssh'], sshKey: untouched.key, requireTouch: true }],
          },
        });
        r2.pipeline.handle(
          r2.fixture.udp(r2.fixture.knock('alice', NOW, { sign: untouched.sign }), NOW),
          NOW,
        );
        assert.equal(r2.pipeline.counters.get('signature'), 1);
        const r3 = rig({
          fixture: {
            clients: [{ name: 'alice', services: ['ssh'], sshKey: untouched.key, requireTouch: false }],
          },
        });
        r3.pipeline.handle(
          r3.fixture.udp(r3.fixture.knock('alice', NOW, { sign: untouched.sign }), NOW),
          NOW,
        );
        await r3.pipeline.idle();
        assert.equal(granted(r3.firewall).length, 1);
      }
      await r.pipeline.idle();
      assert.equal(granted(r.firewall).length, 1);
    });
  }
});

describe('SignatureBudget', () => {
  it('burst, then the rate; a clock step back refills nothing; clients are independent', () => {
    const b = new SignatureBudget({ burst: 3, ratePerSecond: 2 });
    const t = 1_000_000;
    assert.deepEqual(
      [1, 2, 3, 4].map(() => b.take('a', t)),
      [true, true, true, false],
    );
    assert.equal(b.take('b', t), true);
    assert.equal(b.take('a', t + 499), false);
    assert.equal(b.take('a', t + 500), true);
    assert.equal(b.take('a', t - 60_000), false, 'clock stepped back');
    assert.equal(b.take('a', t + 100_000), true);
    assert.deepEqual(
      [1, 2, 3].map(() => b.take('a', t + 100_000)),
      [true, true, false],
      'capped at burst',
    );
  });
});
