// The source address text is made only for packets that verify or are logged (issue 13): a flood
// of forged knocks at the current port, or of packets at other ports, never reads it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { CapturedPacket } from '../../src/capture/frame.js';
import { KnockPipeline } from '../../src/pipeline/pipeline.js';
import { ReplayStore } from '../../src/replay/replay-store.js';
import { FakeFirewall } from '../support/fake-firewall.js';
import { Fixture } from '../support/fixture.js';
import { granted, memoryLog, NOW, stateDir } from './_harness.js';

/** `packet` with its source address reads counted. */
function counted(packet: CapturedPacket): { packet: CapturedPacket; reads: () => number } {
  let reads = 0;
  const source = packet.srcAddress;
  return {
    packet: {
      ...packet,
      get srcAddress() {
        reads++;
        return source;
      },
    },
    reads: () => reads,
  };
}

function pipelineAt(level: string) {
  const fixture = new Fixture({ stateDir: stateDir() });
  const log = memoryLog(level);
  const firewall = new FakeFirewall({ now: () => NOW });
  const store = ReplayStore.open(fixture.config.stateDir, fixture.config.window, NOW);
  const pipeline = new KnockPipeline({
    config: fixture.config,
    store,
    firewall,
    logger: log.logger,
    nowMs: NOW,
  });
  return { fixture, pipeline, firewall, log };
}

test('forged knocks at the current port and packets at other ports never format the source', () => {
  const { fixture: f, pipeline } = pipelineAt('info');
  let reads = 0;
  for (let i = 0; i < 200; i++) {
    const forged = counted(f.udp(new Uint8Array(randomBytes(336)), NOW));
    pipeline.handle(forged.packet, NOW);
    const elsewhere = counted(f.udp(new Uint8Array(336), NOW, { dstPort: 1234 }));
    pipeline.handle(elsewhere.packet, NOW);
    reads += forged.reads() + elsewhere.reads();
  }
  assert.equal(pipeline.counters.get('port'), 200);
  assert.equal(pipeline.counters.get('grant'), 0);
  assert.equal(reads, 0, 'the old pipeline read it for every reject (400 here)');
});

test('a knock that verifies reads its source (policy, grant)', async () => {
  const { fixture: f, pipeline, firewall } = pipelineAt('info');
  const knock = counted(f.udp(f.knock('alice', NOW), NOW));
  pipeline.handle(knock.packet, NOW);
  await pipeline.idle();
  assert.ok(knock.reads() >= 1);
  assert.equal(granted(firewall).length, 1);
});

test('at debug level only the logged rejects read it (20 lines a second)', () => {
  const { fixture: f, pipeline } = pipelineAt('debug');
  let reads = 0;
  for (let i = 0; i < 100; i++) {
    const forged = counted(f.udp(new Uint8Array(randomBytes(336)), NOW));
    pipeline.handle(forged.packet, NOW);
    reads += forged.reads();
  }
  assert.equal(reads, 20);
});
