import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type KnockPayload, PROTOCOL_VERSION, parseIp } from '@spa/shared';
import { evaluatePolicy, evaluateSequencePolicy, grantSeconds } from '../../src/policy/policy.js';
import { Fixture, type FixtureOptions } from '../support/fixture.js';

const NOW = 1_700_000_000_000;

function payload(p: Partial<KnockPayload> = {}): KnockPayload {
  return {
    version: PROTOCOL_VERSION,
    timestampMs: NOW,
    oneTimeId: new Uint8Array(16),
    serverId: new Uint8Array(16),
    durationSeconds: 0,
    target: { kind: 'source' },
    access: [{ kind: 'service', name: 'ssh' }],
    ...p,
  };
}

function fixture(o: Partial<FixtureOptions> = {}) {
  return new Fixture({
    stateDir: '/nonexistent',
    clients: [
      { name: 'alice', services: ['ssh', 'web'] },
      { name: 'old', services: ['ssh'], expiresAtMs: NOW },
      { name: 'gone', services: ['ssh'], revoked: true },
      { name: 'office', services: ['ssh'], allowedSources: ['198.51.100.0/24', '2001:db8::/32'] },
    ],
    ...o,
  });
}

const literal = (text: string) => ({ kind: 'address', address: parseIp(text)! }) as const;

describe('evaluatePolicy', () => {
  const f = fixture();
  const cfg = f.config;
  const src = '198.51.100.7';

  it('grants a named service to the source address for the default duration', () => {
    const v = evaluatePolicy(f.client('alice'), payload(), src, NOW, cfg);
    assert.deepEqual(v, {
      ok: true,
      grants: [{ address: src, protocol: 'tcp', port: 22, seconds: 30, service: 'ssh' }],
    });
  });

  it('caps the requested duration at the maximum; 0 means the default', () => {
    const long = evaluatePolicy(f.client('alice'), payload({ durationSeconds: 86_400 }), src, NOW, cfg);
    assert.equal(long.ok && long.grants[0]!.seconds, 300);
    const short = evaluatePolicy(f.client('alice'), payload({ durationSeconds: 5 }), src, NOW, cfg);
    assert.equal(short.ok && short.grants[0]!.seconds, 5);
    assert.equal(grantSeconds(0, cfg.policy), 30);
  });

  it('allows a raw port only when it is one of the client services', () => {
    const ok = evaluatePolicy(
      f.client('alice'),
      payload({ access: [{ kind: 'port', protocol: 'tcp', port: 443 }] }),
      src,
      NOW,
      cfg,
    );
    assert.deepEqual(ok.ok && ok.grants.map((g) => g.service), ['web']);
    for (const access of [
      { kind: 'port', protocol: 'udp', port: 443 }, // right port, wrong protocol
      { kind: 'port', protocol: 'udp', port: 53 }, // a service, but not alice's
      { kind: 'port', protocol: 'tcp', port: 8080 }, // no service at all
    ] as const) {
      const v = evaluatePolicy(f.client('alice'), payload({ access: [access] }), src, NOW, cfg);
      assert.deepEqual(v, { ok: false, reason: 'policy-service' }, JSON.stringify(access));
    }
  });

  it('refuses unknown services, services of other clients, and a knock with one bad entry', () => {
    for (const access of [
      [{ kind: 'service', name: 'nope' }],
      [{ kind: 'service', name: 'dns' }],
      [
        { kind: 'service', name: 'ssh' },
        { kind: 'service', name: 'dns' },
      ],
    ] as const) {
      const v = evaluatePolicy(f.client('alice'), payload({ access }), src, NOW, cfg);
      assert.deepEqual(v, { ok: false, reason: 'policy-service' });
    }
  });

  it('grants several services once each', () => {
    const v = evaluatePolicy(
      f.client('alice'),
      payload({
        access: [
          { kind: 'service', name: 'ssh' },
          { kind: 'port', protocol: 'tcp', port: 22 },
          { kind: 'service', name: 'web' },
        ],
      }),
      src,
      NOW,
      cfg,
    );
    assert.deepEqual(v.ok && v.grants.map((g) => `${g.service}:${g.port}`), ['ssh:22', 'web:443']);
  });

  it('refuses revoked and expired keys (expiry is the first refused millisecond)', () => {
    assert.deepEqual(evaluatePolicy(f.client('gone'), payload(), src, NOW, cfg), {
      ok: false,
      reason: 'policy-revoked',
    });
    assert.deepEqual(evaluatePolicy(f.client('old'), payload(), src, NOW, cfg), {
      ok: false,
      reason: 'policy-expired',
    });
    assert.equal(evaluatePolicy(f.client('old'), payload(), src, NOW - 1, cfg).ok, true);
  });

  it('grants a literal address (canonical text) instead of the source', () => {
    const v = evaluatePolicy(
      f.client('alice'),
      payload({ target: literal('2001:DB8:0:0::1') }),
      src,
      NOW,
      cfg,
    );
    assert.equal(v.ok && v.grants[0]!.address, '2001:db8::1');
  });

  it('requireLiteralAddress refuses source-address knocks only', () => {
    const strict = fixture({ policy: { requireLiteralAddress: true } }).config;
    const a = fixture().client('alice');
    assert.deepEqual(evaluatePolicy(a, payload(), src, NOW, strict), { ok: false, reason: 'policy-literal' });
    assert.equal(evaluatePolicy(a, payload({ target: literal('203.0.113.9') }), src, NOW, strict).ok, true);
  });

  it('per-client allowed sources apply to the source and to a literal target', () => {
    const office = f.client('office');
    assert.equal(evaluatePolicy(office, payload(), '198.51.100.99', NOW, cfg).ok, true);
    assert.equal(evaluatePolicy(office, payload(), '2001:db8::5', NOW, cfg).ok, true);
    assert.deepEqual(evaluatePolicy(office, payload(), '203.0.113.5', NOW, cfg), {
      ok: false,
      reason: 'policy-source',
    });
    // In-network source asking for an outside literal address.
    assert.deepEqual(evaluatePolicy(office, payload({ target: literal('203.0.113.5') }), src, NOW, cfg), {
      ok: false,
      reason: 'policy-source',
    });
    // Outside source asking for an in-network literal address.
    assert.deepEqual(
      evaluatePolicy(office, payload({ target: literal('198.51.100.8') }), '203.0.113.5', NOW, cfg),
      { ok: false, reason: 'policy-source' },
    );
  });

  it('server-wide allowed sources apply to every client, together with the client list', () => {
    const g = fixture({ policy: { allowedSources: ['198.51.100.0/25'] } });
    assert.equal(evaluatePolicy(g.client('alice'), payload(), '198.51.100.7', NOW, g.config).ok, true);
    assert.deepEqual(evaluatePolicy(g.client('alice'), payload(), '198.51.100.200', NOW, g.config), {
      ok: false,
      reason: 'policy-source',
    });
    // office allows 198.51.100.0/24, the server only the lower half: both must hold.
    assert.deepEqual(evaluatePolicy(g.client('office'), payload(), '198.51.100.200', NOW, g.config), {
      ok: false,
      reason: 'policy-source',
    });
  });

  it('refuses a source address that does not parse', () => {
    assert.deepEqual(evaluatePolicy(f.client('alice'), payload(), 'not-an-ip', NOW, cfg), {
      ok: false,
      reason: 'policy-source',
    });
  });

  it('checks in a fixed order: revoked before source before service', () => {
    const v = evaluatePolicy(
      f.client('gone'),
      payload({ access: [{ kind: 'service', name: 'nope' }] }),
      'bad',
      NOW,
      cfg,
    );
    assert.deepEqual(v, { ok: false, reason: 'policy-revoked' });
  });
});

describe('evaluateSequencePolicy', () => {
  const strict = fixture({ policy: { requireLiteralAddress: true } });
  const cfg = strict.config;

  it('grants the source the service for the default duration, even with requireLiteralAddress', () => {
    assert.deepEqual(evaluateSequencePolicy(strict.client('alice'), 'web', '198.51.100.7', NOW, cfg), {
      ok: true,
      grants: [{ address: '198.51.100.7', protocol: 'tcp', port: 443, seconds: 30, service: 'web' }],
    });
  });

  it('applies expiry, revocation, allowed sources and services', () => {
    const cases: Array<[string, string, string, string]> = [
      ['old', 'ssh', '198.51.100.7', 'policy-expired'],
      ['gone', 'ssh', '198.51.100.7', 'policy-revoked'],
      ['office', 'ssh', '203.0.113.1', 'policy-source'],
      ['alice', 'dns', '198.51.100.7', 'policy-service'],
      ['alice', 'nope', '198.51.100.7', 'policy-service'],
    ];
    for (const [client, service, source, reason] of cases) {
      assert.deepEqual(
        evaluateSequencePolicy(strict.client(client), service, source, NOW, cfg),
        { ok: false, reason },
        `${client} ${service} ${source}`,
      );
    }
  });
});
