import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { deriveClientKeys, deriveSequence, inRange, timeStep, toHex } from '@spa/shared';
import { watchedBy } from '../src/decoys.js';
import { ClientError } from '../src/errors.js';
import { currentSequence, knockService } from '../src/knock-service.js';
import { fileSentSequences, memorySentSequences, SENT_FILE } from '../src/sent-sequences.js';
import { FakeWorld, makeProfile, seededRandom } from './helpers.js';

const STEP_START = 1_700_000_010_000; // a step boundary for 30 s steps

describe('one-time sequences', () => {
  test('ports: the sequence of the current step, valid to the end of the next step', () => {
    const profile = makeProfile();
    const now = STEP_START + 12_300;
    const seq = currentSequence(profile, 'ssh', now);
    const expected = deriveSequence(
      deriveClientKeys(profile.clientSecret).sequence,
      timeStep(now, 30),
      'ssh',
      profile.sequence!,
    );
    assert.deepEqual(seq.knocks, expected);
    assert.equal(seq.step, timeStep(now, 30));
    assert.equal(seq.validForSeconds, 17 + 30); // floor(17.7) + one step
    assert.equal(currentSequence(profile, 'ssh', STEP_START).validForSeconds, 60);
    assert.notDeepEqual(currentSequence(profile, 'https', now).knocks, seq.knocks);
    assert.notDeepEqual(currentSequence(profile, 'ssh', now + 30_000).knocks, seq.knocks);
  });

  test('a sequence already sent in this step is refused, not re-sent; the next step is fine', async () => {
    const world = new FakeWorld();
    world.t = STEP_START + 1000;
    world.openAfter = 1;
    const sent = memorySentSequences();
    const deps = { ...world.deps(), sent };
    const profile = makeProfile();
    assert.equal((await knockService({ profile, service: 'ssh' }, deps)).status, 'open');
    const knocks = world.sent.length;
    assert.equal(sent.entries.length, 1);
    assert.ok(!sent.entries[0]!.key.includes(toHex(profile.clientSecret)), 'no key material');
    world.t = STEP_START + 20_000;
    await assert.rejects(knockService({ profile, service: 'ssh' }, deps), (e: unknown) => {
      assert.ok(e instanceof ClientError);
      assert.equal(e.code, 'sequence-spent');
      assert.equal(e.exitCode, 7);
      assert.match(
        e.message,
        /already sent at 2023-11-14T22:13:31\.000Z; the server accepts each sequence once/,
      );
      assert.match(e.hint, /next step's sequence is ready in 10 s/);
      return true;
    });
    assert.equal(world.sent.length, knocks, 'nothing sent the second time');
    // Another service, or the next step: a fresh sequence, sent.
    await knockService({ profile, service: 'https' }, deps);
    world.t = STEP_START + 30_000;
    await knockService({ profile, service: 'ssh' }, deps);
    assert.equal(world.sent.length, 3 * knocks);
  });

  test('the store on disk: mode 0600 in a 0700 directory, and it forgets what the server would refuse anyway', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'spa-sent-')), 'state');
    try {
      const store = fileSentSequences(dir);
      store.add({ key: 'a/alice/ssh/1', sentAtMs: 10, expiresAtMs: 90_000 }, 10);
      assert.equal(statSync(join(dir, SENT_FILE)).mode & 0o777, 0o600);
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      assert.equal(fileSentSequences(dir).find('a/alice/ssh/1', 50_000)?.sentAtMs, 10);
      assert.equal(fileSentSequences(dir).find('a/alice/ssh/1', 90_000), undefined, 'expired');
      store.add({ key: 'a/alice/ssh/4', sentAtMs: 100_000, expiresAtMs: 180_000 }, 100_000);
      assert.equal(readFileSync(join(dir, SENT_FILE), 'utf8').includes('ssh/1'), false, 'pruned');
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });

  test('no sequence in the profile is a clear error', async () => {
    const profile = makeProfile({ sequence: undefined });
    assert.throws(() => currentSequence(profile, 'ssh', STEP_START), { code: 'no-sequence' });
    await assert.rejects(knockService({ profile, service: 'ssh' }, new FakeWorld().deps()), {
      code: 'no-sequence',
    });
  });

  test('knock: each knock in order, by its protocol, a gap apart; then waits for the port', async () => {
    const world = new FakeWorld();
    world.t = STEP_START + 1000;
    world.openAfter = 2;
    const profile = makeProfile({
      sequence: { length: 6, protocol: 'mixed', range: [50000, 59999], gapMs: 5000 },
    });
    const expected = currentSequence(profile, 'ssh', world.t).knocks;
    const start = world.t;
    const r = await knockService({ profile, service: 'ssh' }, world.deps());
    assert.equal(r.status, 'open');
    assert.deepEqual(
      world.sent.map((s) => ({ protocol: s.kind, port: s.to.port })),
      expected,
    );
    assert.deepEqual(
      world.sent.map((s) => s.at - start),
      [0, 100, 200, 300, 400, 500],
    );
    for (const s of world.sent) {
      assert.equal(s.to.address, '192.0.2.10');
      if (s.kind === 'udp') assert.ok(s.bytes.length <= 8);
    }
    assert.ok(expected.some((k) => k.protocol === 'udp') && expected.some((k) => k.protocol === 'tcp'));
  });

  test('--gap is used, and must stay under the server’s gap timeout', async () => {
    const world = new FakeWorld();
    const profile = makeProfile();
    await knockService({ profile, service: 'ssh', gapMs: 250, wait: false }, world.deps());
    assert.deepEqual(
      world.sent.map((s) => s.at - world.sent[0]!.at),
      [0, 250, 500, 750],
    );
    assert.equal(world.probes, 0);
    await assert.rejects(knockService({ profile, service: 'ssh', gapMs: 5000 }, world.deps()), {
      code: 'usage',
      message: /resets a sequence after 5000 ms/,
    });
  });

  test('no answer after the knocks', async () => {
    const world = new FakeWorld();
    await assert.rejects(
      knockService({ profile: makeProfile(), service: 'ssh', waitMs: 1000 }, world.deps()),
      {
        code: 'no-answer',
      },
    );
    assert.equal(world.sent.length, 4, 'a sequence is sent once');
  });

  test('decoys: same kind, unwatched ports, real knocks in order and within the gap timeout', async () => {
    for (const protocol of ['tcp', 'udp', 'mixed'] as const) {
      for (let seed = 1; seed <= 5; seed++) {
        const world = new FakeWorld();
        world.random = seededRandom(seed);
        world.t = STEP_START + 2000;
        const profile = makeProfile({ sequence: { length: 4, protocol, range: [50000, 59999], gapMs: 500 } });
        const expected = currentSequence(profile, 'ssh', world.t).knocks;
        await knockService({ profile, service: 'ssh', decoys: 6, wait: false }, world.deps());
        assert.equal(world.sent.length, 10);
        const real = world.sent.filter((s) => inRange(s.to.port, profile.sequence!.range));
        assert.deepEqual(
          real.map((s) => ({ protocol: s.kind, port: s.to.port })),
          expected,
        );
        const watched = watchedBy(profile);
        for (const s of world.sent.filter((x) => !real.includes(x))) {
          assert.ok(!watched(s.to.port));
          if (protocol !== 'mixed') assert.equal(s.kind, protocol);
        }
        // gap 100 ms, server timeout 500 ms: at most 3 decoys between two knocks (400 ms).
        for (let i = 1; i < real.length; i++) assert.ok(real[i]!.at - real[i - 1]!.at <= 400);
        const gaps = world.sent.slice(1).map((s, i) => s.at - world.sent[i]!.at);
        assert.ok(gaps.every((g) => g === 100));
      }
    }
  });
});
