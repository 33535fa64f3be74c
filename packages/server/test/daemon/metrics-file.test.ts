/** renderMetrics: Prometheus text exposition format 0.0.4, checked line by line. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderMetrics } from '../../src/daemon/metrics-file.js';

const snapshot = {
  counters: { mac: 3, client: 1, grant: 2, 'grant-failed': 1, 'capture:short': 4, 'sequence-step': 5 },
  startedAtMs: 1_700_000_000_500,
  lastReloadAtMs: 1_700_000_100_999,
  replayEntries: 7,
  liveGrants: 2,
};

/** Families in order: name → { help, type, samples }; fails on anything the format does not allow. */
function parse(text: string): Map<string, { help: string; type: string; samples: string[] }> {
  assert.ok(text.endsWith('\n'), 'the file ends with a newline');
  const families = new Map<string, { help: string; type: string; samples: string[] }>();
  let current: string | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    const help = /^# HELP ([a-z_]+) (.+)$/.exec(line);
    const type = /^# TYPE ([a-z_]+) (counter|gauge)$/.exec(line);
    const sample = /^([a-z_]+)(\{[a-z]+="[a-z0-9-]+"\})? (\d+)$/.exec(line);
    if (help) {
      assert.ok(!families.has(help[1]!), `${help[1]} appears once`);
      families.set(help[1]!, { help: help[2]!, type: '', samples: [] });
      current = help[1];
    } else if (type) {
      assert.equal(type[1], current, 'TYPE follows its HELP');
      families.get(current!)!.type = type[2]!;
    } else if (sample) {
      assert.equal(sample[1], current, `sample ${line} belongs to the family above it`);
      assert.notEqual(families.get(current!)!.type, '', 'TYPE comes before the samples');
      families.get(current!)!.samples.push(line);
    } else assert.fail(`not exposition format: ${JSON.stringify(line)}`);
  }
  return families;
}

describe('renderMetrics', () => {
  it('every family has HELP, TYPE, samples; counters end in _total, gauges do not', () => {
    const f = parse(renderMetrics(snapshot));
    for (const [name, { type }] of f) assert.equal(name.endsWith('_total'), type === 'counter', name);
    assert.deepEqual(f.get('spa_knocks_rejected_total')?.samples, [
      'spa_knocks_rejected_total{reason="client"} 1',
      'spa_knocks_rejected_total{reason="mac"} 3',
    ]);
    assert.deepEqual(f.get('spa_grants_total')?.samples, ['spa_grants_total 2']);
    assert.deepEqual(f.get('spa_grants_failed_total')?.samples, ['spa_grants_failed_total 1']);
    assert.deepEqual(f.get('spa_capture_dropped_total')?.samples, [
      'spa_capture_dropped_total{reason="short"} 4',
    ]);
    assert.deepEqual(f.get('spa_events_total')?.samples, ['spa_events_total{event="sequence-step"} 5']);
    assert.equal(f.get('spa_live_grants')?.type, 'gauge');
    assert.deepEqual(f.get('spa_live_grants')?.samples, ['spa_live_grants 2']);
    assert.deepEqual(f.get('spa_replay_entries')?.samples, ['spa_replay_entries 7']);
    assert.deepEqual(f.get('spa_start_time_seconds')?.samples, ['spa_start_time_seconds 1700000000']);
    assert.deepEqual(f.get('spa_last_reload_time_seconds')?.samples, [
      'spa_last_reload_time_seconds 1700000100',
    ]);
  });

  it('no listing from the firewall: the live-grants family is absent, not zero', () => {
    const f = parse(renderMetrics({ ...snapshot, liveGrants: undefined, lastReloadAtMs: undefined }));
    assert.equal(f.has('spa_live_grants'), false);
    assert.deepEqual(f.get('spa_last_reload_time_seconds')?.samples, ['spa_last_reload_time_seconds 0']);
  });
});
