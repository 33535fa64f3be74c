import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  deriveServerKeys,
  formatIp,
  inRange,
  knockPort,
  PACKET_LENGTH,
  parseIp,
  timeStep,
  toHex,
} from '@spa/shared';
import { decoyPort, interleave, randomBelow, watchedBy } from '../src/decoys.js';
import { ClientError } from '../src/errors.js';
import { describeResult, resultJson } from '../src/format.js';
import { openService, PRE_KNOCK_LEAD_MS } from '../src/open-service.js';
import { FakeWorld, makeProfile, seededRandom, serverVerify } from './helpers.js';

function expectedPort(profile: ReturnType<typeof makeProfile>, nowMs: number): number {
  return knockPort(
    deriveServerKeys(profile.serverSecret).port,
    timeStep(nowMs, profile.stepSeconds),
    profile.knock,
  );
}

describe('open: one packet, then wait, then fresh retries', () => {
  test('opens on the first packet: one send to the current knock port, the server accepts it', async () => {
    const world = new FakeWorld();
    world.openAfter = 3;
    const profile = makeProfile();
    const start = world.t;
    const r = await openService({ profile, service: 'ssh', durationSeconds: 60 }, world.deps());
    assert.equal(r.status, 'open');
    assert.equal(world.sent.length, 1);
    const [p] = world.sent;
    assert.equal(p!.bytes.length, PACKET_LENGTH);
    assert.deepEqual(p!.to, { address: '192.0.2.10', family: 4, port: expectedPort(profile, start) });
    assert.equal(world.probes, 3);
    assert.ok(r.openedInMs !== undefined && r.openedInMs > 0 && r.openedInMs <= 3 * 75);
    const v = serverVerify(profile, p!.bytes, world.t);
    assert.ok(v.ok, JSON.stringify(v));
    assert.equal(v.value.payload.durationSeconds, 60);
    assert.deepEqual(v.value.payload.target, { kind: 'source' });
    assert.deepEqual(v.value.payload.access, [{ kind: 'service', name: 'ssh' }]);
    assert.equal(v.value.payload.timestampMs, start + PRE_KNOCK_LEAD_MS); // after the pre-knock probe's head start
    // The client knows what it asked for, not what the server granted (it caps at max_duration).
    assert.match(
      describeResult(r),
      /^ssh on web1 is open \(opened in [0-9.]+ ms\); asked for 60 s, the server grants at most its max_duration$/,
    );
    assert.doesNotMatch(describeResult(r), /open for 60 s/);
  });

  test('never open: exactly 3 sends, each fresh, then a no-answer error naming the causes', async () => {
    const world = new FakeWorld();
    const profile = makeProfile();
    const start = world.t;
    await assert.rejects(openService({ profile, service: 'ssh' }, world.deps()), (e: unknown) => {
      assert.ok(e instanceof ClientError);
      assert.equal(e.code, 'no-answer');
      assert.equal(e.exitCode, 5);
      assert.match(e.message, /no answer in 3 s/);
      assert.match(
        e.hint,
        /check the clock: this machine says 2023-11-14T22:13:38Z \(UTC\); the server accepts knocks within ±30 s of its own .*`date -u`.*that spa-server runs, and the network path/,
      );
      return true;
    });
    assert.equal(world.sent.length, 3);
    const hex = world.sent.map((s) => toHex(s.bytes));
    assert.equal(new Set(hex).size, 3, 'every packet differs');
    const nonces = world.sent.map((s) => toHex(s.bytes.subarray(0, 24)));
    assert.equal(new Set(nonces).size, 3, 'every nonce differs');
    const ids = world.sent.map((s) => {
      const v = serverVerify(profile, s.bytes, s.at);
      assert.ok(v.ok);
      return toHex(v.value.payload.oneTimeId);
    });
    assert.equal(new Set(ids).size, 3, 'every one-time id differs');
    // About one second apart, bounded in total.
    assert.deepEqual(
      world.sent.map((s) => s.at - start - PRE_KNOCK_LEAD_MS),
      [0, 1000, 2000],
    );
    assert.ok(world.t - start <= PRE_KNOCK_LEAD_MS + 3000 + 75);
    // At 0, 2, …, 20 ms (11), then 5, 10, 20, 40 ms apart (25, 35, 55, 95), then every 75 ms
    // (170 … 995: 12): 27 attempts a round.
    assert.equal(world.probes, 3 * 27);
  });

  test('opens during the second round: two sends, elapsed from the first', async () => {
    const world = new FakeWorld();
    world.openAfter = 30; // 27 attempts in the first round
    const r = await openService({ profile: makeProfile(), service: 'ssh' }, world.deps());
    assert.equal(r.status, 'open');
    assert.equal(world.sent.length, 2);
    assert.ok(r.openedInMs! > 1000 && r.openedInMs! < 2000, String(r.openedInMs));
  });

  test('--retries bounds the sends; a custom retry interval is honoured', async () => {
    for (const sends of [1, 2, 5]) {
      const world = new FakeWorld();
      await assert.rejects(
        openService({ profile: makeProfile(), service: 'ssh', sends, retryAfterMs: 400 }, world.deps()),
        /no answer in/,
      );
      assert.equal(world.sent.length, sends);
      assert.deepEqual(
        world.sent.map((s) => s.at - world.sent[0]!.at),
        Array.from({ length: sends }, (_, i) => i * 400),
      );
    }
  });

  test('a retry in the next step goes to that step’s knock port', async () => {
    const world = new FakeWorld();
    world.t = 1_700_000_010_000 + 29_500; // half a second before the step ends
    const profile = makeProfile();
    await assert.rejects(openService({ profile, service: 'ssh', sends: 2 }, world.deps()));
    const [a, b] = world.sent;
    assert.equal(a!.to.port, expectedPort(profile, a!.at));
    assert.equal(b!.to.port, expectedPort(profile, b!.at));
    assert.notEqual(timeStep(a!.at, 30), timeStep(b!.at, 30));
  });

  test('--no-wait: one packet, no probes', async () => {
    const world = new FakeWorld();
    const r = await openService({ profile: makeProfile(), service: 'ssh', wait: false }, world.deps());
    assert.equal(r.status, 'sent');
    assert.equal(world.sent.length, 1);
    assert.equal(world.probes, 0);
    assert.match(describeResult(r), /sent to port \d+, not waiting \(asked for the server's default time\)/);
  });

  test('a UDP service cannot be probed: one packet, no wait', async () => {
    const world = new FakeWorld();
    const profile = makeProfile({ services: { dns: { protocol: 'udp', port: 53 } } });
    const r = await openService({ profile, service: 'dns' }, world.deps());
    assert.equal(r.status, 'sent');
    assert.equal(world.sent.length, 1);
    assert.equal(world.probes, 0);
  });

  test('a port that answered before the knock: "was already open", not credited to the knock', async () => {
    const world = new FakeWorld();
    world.openBefore = true;
    world.openAfter = 1;
    const r = await openService({ profile: makeProfile(), service: 'ssh' }, world.deps());
    assert.equal(r.status, 'already-open');
    assert.equal(world.sent.length, 1, 'the knock is still sent (it may renew a grant)');
    assert.match(describeResult(r), /^ssh on web1 was already open before the knock/);
    assert.equal(resultJson(r).status, 'already-open');
  });

  test('--allow puts the literal address in the packet', async () => {
    const world = new FakeWorld();
    world.openAfter = 1;
    const profile = makeProfile();
    const allow = parseIp('2001:db8::42')!;
    await openService({ profile, service: 'https', allow }, world.deps());
    const v = serverVerify(profile, world.sent[0]!.bytes, world.t);
    assert.ok(v.ok);
    assert.equal(v.value.payload.target.kind, 'address');
    if (v.value.payload.target.kind === 'address')
      assert.equal(formatIp(v.value.payload.target.address), '2001:db8::42');
    assert.deepEqual(v.value.payload.access, [{ kind: 'service', name: 'https' }]);
  });

  test('IPv6 servers: the resolved family and address are used', async () => {
    const world = new FakeWorld();
    world.address = { address: '2001:db8::10', family: 6 } as never;
    const r = await openService(
      { profile: makeProfile({ host: 'web1.example' }), service: 'ssh', wait: false },
      world.deps(),
    );
    assert.equal(r.address, '2001:db8::10');
    assert.equal(world.sent[0]!.to.family, 6);
  });

  test('unknown service and unresolvable host are typed errors', async () => {
    const world = new FakeWorld();
    await assert.rejects(openService({ profile: makeProfile(), service: 'ftp' }, world.deps()), {
      code: 'unknown-service',
    });
    const deps = {
      ...world.deps(),
      lookup: async () => {
        throw Object.assign(new Error('x'), { code: 'ENOTFOUND' });
      },
    };
    await assert.rejects(
      openService({ profile: makeProfile({ host: 'nope.invalid' }), service: 'ssh' }, deps),
      {
        code: 'resolve',
      },
    );
    assert.equal(world.sent.length, 0);
  });

  test('decoys: same size, unwatched ports, real packet at a random place', async () => {
    const profile = makeProfile({
      services: { ssh: { protocol: 'tcp', port: 22 }, alt: { protocol: 'tcp', port: 8022 } },
    });
    const watched = watchedBy(profile);
    const positions = new Set<number>();
    for (let seed = 1; seed <= 12; seed++) {
      const world = new FakeWorld();
      world.random = seededRandom(seed);
      world.openAfter = 1;
      const start = world.t;
      await openService({ profile, service: 'ssh', decoys: 3 }, world.deps());
      assert.equal(world.sent.length, 4);
      const real = world.sent.filter((s) => s.to.port === expectedPort(profile, start));
      assert.equal(real.length, 1);
      positions.add(world.sent.indexOf(real[0]!));
      for (const s of world.sent) {
        assert.equal(s.bytes.length, PACKET_LENGTH);
        if (s !== real[0]) {
          assert.ok(!watched(s.to.port) && s.to.port >= 1024, `decoy port ${s.to.port}`);
          assert.ok(!serverVerify(profile, s.bytes, world.t).ok);
        }
      }
      const gaps = world.sent.slice(1).map((s, i) => s.at - world.sent[i]!.at);
      for (const g of gaps) assert.ok(g >= 5 && g < 25, `spacing ${g}`);
    }
    assert.ok(positions.size >= 3, `the real packet moves around: ${[...positions]}`);
  });
});

describe('decoy helpers', () => {
  test('randomBelow is in range and covers it', () => {
    const r = seededRandom(7);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const v = randomBelow(r, 10);
      assert.ok(v >= 0 && v < 10);
      seen.add(v);
    }
    assert.equal(seen.size, 10);
  });

  test('decoy ports avoid the knock range, the sequence range and the services', () => {
    const profile = makeProfile();
    const r = seededRandom(9);
    for (let i = 0; i < 2000; i++) {
      const p = decoyPort(r, watchedBy(profile));
      assert.ok(p >= 1024 && p <= 65535);
      assert.ok(!inRange(p, [40000, 49999]) && !inRange(p, [50000, 59999]) && p !== 22 && p !== 443);
    }
    const fixed = watchedBy(makeProfile({ knock: { mode: 'fixed', port: 62201 }, sequence: undefined }));
    assert.ok(fixed(62201) && fixed(55000) && !fixed(45000));
  });

  test('interleave keeps the real order and bounds decoys between real items', () => {
    const r = seededRandom(3);
    for (let i = 0; i < 50; i++) {
      const slots = interleave([1, 2, 3, 4], ['a', 'b', 'c', 'd', 'e', 'f'], r, 1);
      assert.deepEqual(
        slots.filter((s) => s.real).map((s) => s.item),
        [1, 2, 3, 4],
      );
      assert.equal(slots.length, 10);
      let run = 0;
      let seenReal = 0;
      for (const s of slots) {
        if (s.real) {
          seenReal++;
          run = 0;
        } else if (seenReal > 0 && seenReal < 4) {
          run++;
          assert.ok(run <= 1, 'at most one decoy between two knocks');
        }
      }
    }
  });
});
