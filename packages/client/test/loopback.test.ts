/** Real sockets on 127.0.0.1 only; every wait is bounded. */
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  type ClientProfile,
  deriveServerKeys,
  knockPort,
  msLeftInStep,
  PACKET_LENGTH,
  timeStep,
} from '@spa/shared';
import { proxyService } from '../src/commands/proxy.js';
import { currentSequence, knockService } from '../src/knock-service.js';
import { openService } from '../src/open-service.js';
import type { StoredProfile } from '../src/profile-store.js';
import { systemDeps } from '../src/system.js';
import { makeProfile, serverVerify } from './helpers.js';

interface Received {
  readonly bytes: Buffer;
  readonly port: number;
  readonly at: number;
}

async function udpListener(port: number, into: Received[]): Promise<UdpSocket> {
  const s = createSocket('udp4');
  s.on('message', (bytes) => into.push({ bytes, port, at: Date.now() }));
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => resolve());
  });
  return s;
}

async function echoServer(): Promise<Server> {
  const server = createServer((c) => {
    c.on('error', () => {});
    c.pipe(c);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

function portOf(server: Server): number {
  const a = server.address();
  assert.ok(a && typeof a === 'object');
  return a.port;
}

/** Not within 2 s of a step boundary, so the port a test binds is the one the client uses. */
async function awayFromStepEdge(stepSeconds: number): Promise<void> {
  const left = msLeftInStep(Date.now(), stepSeconds);
  if (left < 2000) await delay(left + 50);
}

describe('loopback', { timeout: 30_000 }, () => {
  test('open --no-wait: one 336-byte datagram on the rotating knock port, accepted by the server keys', async (t) => {
    let profile: ClientProfile | undefined;
    let listener: UdpSocket | undefined;
    const got: Received[] = [];
    await awayFromStepEdge(30);
    for (let i = 0; i < 5 && !listener; i++) {
      profile = makeProfile({ host: '127.0.0.1' });
      const port = knockPort(
        deriveServerKeys(profile.serverSecret).port,
        timeStep(Date.now(), 30),
        profile.knock,
      );
      listener = await udpListener(port, got).catch(() => undefined); // port busy: another profile
    }
    assert.ok(listener && profile);
    t.after(() => listener.close());
    const deps = systemDeps();
    try {
      const r = await openService({ profile, service: 'ssh', wait: false, durationSeconds: 45 }, deps);
      assert.equal(r.status, 'sent');
    } finally {
      deps.close();
    }
    await delay(200);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.bytes.length, PACKET_LENGTH);
    const v = serverVerify(profile, new Uint8Array(got[0]!.bytes), Date.now());
    assert.ok(v.ok, JSON.stringify(v));
    assert.equal(v.value.payload.durationSeconds, 45);
    assert.deepEqual(v.value.payload.access, [{ kind: 'service', name: 'ssh' }]);
  });

  test('IPv6: the packet goes out of a udp6 socket to ::1', async (t) => {
    const sock = createSocket('udp6');
    const got: Buffer[] = [];
    sock.on('message', (m) => got.push(m));
    const bound = await new Promise<boolean>((resolve) => {
      sock.once('error', () => resolve(false));
      sock.bind(0, '::1', () => resolve(true));
    });
    if (!bound) {
      t.skip('no IPv6 loopback here');
      return;
    }
    t.after(() => sock.close());
    const profile = makeProfile({ host: '::1', knock: { mode: 'fixed', port: sock.address().port } });
    const deps = systemDeps();
    try {
      const r = await openService({ profile, service: 'ssh', wait: false }, deps);
      assert.equal(r.address, '::1');
    } finally {
      deps.close();
    }
    await delay(100);
    assert.equal(got.length, 1);
    assert.ok(serverVerify(profile, new Uint8Array(got[0]!), Date.now()).ok);
  });

  /** A stand-in server: the TCP port starts listening only when a datagram reaches the knock port. */
  async function opensOnKnock(t: { after(f: () => void): void }): Promise<{ knock: number; port: number }> {
    const probe = await echoServer();
    const port = portOf(probe);
    await new Promise((r) => probe.close(r)); // a free port, closed (RST) until the knock
    const knocks = createSocket('udp4');
    await new Promise<void>((resolve) => knocks.bind(0, '127.0.0.1', () => resolve()));
    let server: Server | undefined;
    knocks.on('message', () => {
      if (server) return;
      server = createServer((c) => {
        c.on('error', () => {});
        c.pipe(c);
      }).listen(port, '127.0.0.1');
    });
    t.after(() => {
      knocks.close();
      server?.close();
    });
    return { knock: knocks.address().port, port };
  }

  test('open waits for the real port and reports the time', async (t) => {
    const { knock, port } = await opensOnKnock(t);
    const profile = makeProfile({
      host: '127.0.0.1',
      knock: { mode: 'fixed', port: knock },
      services: { web: { protocol: 'tcp', port } },
    });
    const deps = systemDeps();
    try {
      const r = await openService({ profile, service: 'web' }, deps);
      assert.equal(r.status, 'open');
      assert.ok(r.openedInMs! >= 0 && r.openedInMs! < 1000);
    } finally {
      deps.close();
    }
  });

  test('a port that answered before the knock is reported as already open, not as opened', async (t) => {
    const server = await echoServer();
    t.after(() => server.close());
    const profile = makeProfile({
      host: '127.0.0.1',
      knock: { mode: 'fixed', port: 9 }, // discard: nothing listens, the datagram is lost
      services: { web: { protocol: 'tcp', port: portOf(server) } },
    });
    const deps = systemDeps();
    try {
      const r = await openService({ profile, service: 'web' }, deps);
      assert.equal(r.status, 'already-open');
    } finally {
      deps.close();
    }
  });

  test('open against a closed port gives up after the retries, in bounded time', async () => {
    const server = await echoServer();
    const port = portOf(server);
    server.close(); // refused from now on
    const profile = makeProfile({
      host: '127.0.0.1',
      knock: { mode: 'fixed', port: 9 },
      services: { web: { protocol: 'tcp', port } },
    });
    const deps = systemDeps();
    const start = Date.now();
    try {
      await assert.rejects(openService({ profile, service: 'web', sends: 2, retryAfterMs: 300 }, deps), {
        code: 'no-answer',
      });
    } finally {
      deps.close();
    }
    assert.ok(Date.now() - start < 1500);
  });

  test('proxy: pipes both ways through the connection that proved the port open', async (t) => {
    const server = await echoServer();
    t.after(() => server.close());
    const profile = makeProfile({
      server: 'web1',
      host: '127.0.0.1',
      knock: { mode: 'fixed', port: 9 },
      services: { ssh: { protocol: 'tcp', port: portOf(server) } },
    });
    const stored: StoredProfile = { name: 'web1', uri: '', profile };
    const input = new PassThrough();
    const output = new PassThrough();
    const chunks: Buffer[] = [];
    output.on('data', (c: Buffer) => chunks.push(c));
    const deps = systemDeps();
    const done = proxyService(
      { profiles: [stored], host: '127.0.0.1', port: portOf(server) },
      deps,
      input,
      output,
    );
    input.write('SSH-2.0-test\r\n');
    const big = Buffer.alloc(256 * 1024, 7);
    input.write(big);
    await delay(300);
    input.end();
    await done;
    deps.close();
    const all = Buffer.concat(chunks);
    assert.equal(all.length, 14 + big.length);
    assert.equal(all.subarray(0, 14).toString(), 'SSH-2.0-test\r\n');
  });

  test('knock: UDP knocks arrive in order on the sequence ports', async (t) => {
    await awayFromStepEdge(30);
    const profile = makeProfile({
      host: '127.0.0.1',
      sequence: { length: 4, protocol: 'udp', range: [50000, 59999], gapMs: 2000 },
    });
    const seq = currentSequence(profile, 'ssh', Date.now());
    const got: Received[] = [];
    const listeners = await Promise.all(seq.knocks.map((k) => udpListener(k.port, got)));
    t.after(() => {
      for (const l of listeners) l.close();
    });
    const deps = systemDeps();
    try {
      await knockService({ profile, service: 'ssh', gapMs: 20, wait: false }, deps);
    } finally {
      deps.close();
    }
    await delay(100);
    assert.deepEqual(
      got.map((g) => g.port),
      seq.knocks.map((k) => k.port),
    );
  });

  test('knock: TCP knocks are bare connection attempts, in order', async (t) => {
    await awayFromStepEdge(30);
    const profile = makeProfile({
      host: '127.0.0.1',
      sequence: { length: 3, protocol: 'tcp', range: [50000, 59999], gapMs: 2000 },
    });
    const seq = currentSequence(profile, 'ssh', Date.now());
    const order: number[] = [];
    const servers = await Promise.all(
      seq.knocks.map(async (k) => {
        const s = createServer((c) => {
          order.push(k.port);
          c.on('error', () => {});
        });
        s.listen(k.port, '127.0.0.1');
        await once(s, 'listening');
        return s;
      }),
    );
    t.after(() => {
      for (const s of servers) s.close();
    });
    const deps = systemDeps();
    try {
      await knockService({ profile, service: 'ssh', gapMs: 30, wait: false }, deps);
    } finally {
      deps.close();
    }
    await delay(100);
    assert.deepEqual(
      order,
      seq.knocks.map((k) => k.port),
    );
  });
});
