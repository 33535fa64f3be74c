/**
 * Issue 12, item 7, through the whole pipeline on fakes: a knock for an address+service that
 * already has a longer grant (another client behind the same address, or the same client with
 * a shorter --duration) leaves the longer grant in place.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NOW, rig } from './_harness.js';

const web = [{ kind: 'service', name: 'web' }] as const;
const SRC = '198.51.100.7';

describe('grants only grow (pipeline on fakes)', () => {
  it('two clients: alice 300 s, then bob 2 s from the same address → 300 s stay', async () => {
    const r = rig({
      fixture: {
        clients: [
          { name: 'alice', services: ['web'] },
          { name: 'bob', services: ['web'] },
        ],
      },
    });
    const f = r.fixture;
    r.pipeline.handle(
      f.udp(f.knock('alice', NOW, { access: web, durationSeconds: 300 }), NOW, { src: SRC }),
      NOW,
    );
    await r.pipeline.idle();
    r.pipeline.handle(
      f.udp(f.knock('bob', NOW, { access: web, durationSeconds: 2 }), NOW, { src: SRC }),
      NOW,
    );
    await r.pipeline.idle();
    assert.equal(r.pipeline.counters.get('grant'), 2, 'both knocks are granted');
    assert.deepEqual(
      r.firewall.grants().map((g) => `${g.address} ${g.protocol}/${g.port} ${g.secondsLeft}`),
      [`${SRC} tcp/443 300`],
    );
  });

  it('one client: alice 300 s, then alice 2 s → 300 s stay', async () => {
    const r = rig({ fixture: { clients: [{ name: 'alice', services: ['web'] }] } });
    const f = r.fixture;
    r.pipeline.handle(
      f.udp(f.knock('alice', NOW, { access: web, durationSeconds: 300 }), NOW, { src: SRC }),
      NOW,
    );
    await r.pipeline.idle();
    r.pipeline.handle(
      f.udp(f.knock('alice', NOW, { access: web, durationSeconds: 2 }), NOW, { src: SRC }),
      NOW,
    );
    await r.pipeline.idle();
    assert.equal(r.pipeline.counters.get('grant'), 2);
    assert.deepEqual(
      r.firewall.grants().map((g) => g.secondsLeft),
      [300],
    );
  });
});
