/** Known-answer tests against the JSON vectors in test/vectors (see its README). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  deriveClientKeys,
  deriveServerKeys,
  encodeProfile,
  encodeSecret,
  formatIp,
  fromHex,
  knockPort,
  LookupMask,
  LookupTable,
  lookupSteps,
  lookupTag,
  parseProfile,
  prepareClient,
  ReplayWindow,
  toHex,
  verifyKnock,
} from '../src/index.js';
import { deriveSequence } from '../src/sequence.js';

const dir = join(fileURLToPath(import.meta.url), '../../../../../test/vectors');
// biome-ignore lint/suspicious/noExplicitAny: JSON vectors
const load = (name: string): any[] => JSON.parse(readFileSync(join(dir, name), 'utf8')).vectors;
const h = (s: string) => fromHex(s)!;

test('keys.json: text forms and HKDF subkeys', () => {
  for (const v of load('keys.json')) {
    assert.equal(encodeSecret(v.kind, h(v.secret)), v.text);
    const keys = v.kind === 'client' ? deriveClientKeys(h(v.secret)) : deriveServerKeys(h(v.secret));
    for (const [name, want] of Object.entries(v.subkeys)) {
      assert.equal(toHex((keys as unknown as Record<string, Uint8Array>)[name]!), want, name);
    }
  }
});

test('knock-port.json', () => {
  for (const v of load('knock-port.json')) {
    assert.equal(knockPort(h(v.portKey), v.step, { mode: 'rotating', range: v.range }), v.port);
  }
});

test('lookup.json', () => {
  for (const v of load('lookup.json')) assert.equal(toHex(lookupTag(h(v.lookupKey), v.step)), v.tag);
});

test('sequence.json', () => {
  for (const v of load('sequence.json')) {
    assert.deepEqual(deriveSequence(h(v.sequenceKey), v.step, v.service, v.spec), v.knocks);
  }
});

test('packets.json: positive and negative vectors', () => {
  const vectors = load('packets.json');
  assert.ok(vectors.some((v) => v.expect === 'ok') && vectors.some((v) => v.expect !== 'ok'));
  const replay = new ReplayWindow();
  const accepted = new Map<string, boolean>();
  for (const v of vectors) {
    const ck = deriveClientKeys(h(v.keys.clientSecret));
    const sk = deriveServerKeys(h(v.keys.serverSecret));
    const table = new LookupTable<string>();
    const { first, last } = lookupSteps(v.context.now, v.context.stepSeconds, v.context.window);
    for (let s = first; s <= last; s++) table.addStep(s, [{ client: 'alice', lookupKey: ck.lookup }]);
    const prepared = prepareClient(ck);
    const result = verifyKnock(h(v.packet), {
      mask: new LookupMask(sk.header),
      table,
      prepared: () => prepared,
      serverId: h(v.keys.serverId),
      stepSeconds: v.context.stepSeconds,
      window: v.context.window,
      nowMs: v.context.now,
    });
    if (v.expect === 'replay') {
      assert.ok(accepted.get(v.after), `${v.name}: the original was accepted first`);
      assert.ok(result.ok);
      assert.equal(
        replay.accept(
          toHex(result.value.payload.oneTimeId),
          result.value.payload.timestampMs,
          v.context.now,
          0,
        ),
        'replay',
      );
      continue;
    }
    if (v.expect !== 'ok') {
      assert.deepEqual(
        { ok: result.ok, reason: !result.ok && result.reason },
        { ok: false, reason: v.expect },
        v.name,
      );
      continue;
    }
    assert.ok(result.ok, `${v.name}: ${JSON.stringify(result)}`);
    const p = result.value.payload;
    assert.equal(p.timestampMs, v.payload.timestampMs);
    assert.equal(toHex(p.oneTimeId), v.payload.oneTimeId);
    assert.equal(p.durationSeconds, v.payload.durationSeconds);
    assert.deepEqual(p.access, v.payload.access);
    assert.deepEqual(
      p.target.kind === 'source'
        ? { kind: 'source' }
        : { kind: 'address', address: formatIp(p.target.address) },
      v.payload.target,
    );
    assert.equal(replay.accept(toHex(p.oneTimeId), p.timestampMs, v.context.now, 0), 'ok');
    accepted.set(v.name, true);
  }
});

test('profile.json', () => {
  for (const v of load('profile.json')) {
    const p = parseProfile(v.uri);
    assert.equal(toHex(p.clientSecret), v.fields.clientSecret);
    assert.equal(toHex(p.serverSecret), v.fields.serverSecret);
    assert.equal(toHex(p.serverId), v.fields.serverId);
    assert.equal(p.host, v.fields.host);
    assert.deepEqual(p.services, v.fields.services);
    assert.equal(encodeProfile(p), v.uri);
  }
});
