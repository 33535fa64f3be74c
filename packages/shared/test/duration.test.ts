/** The duration grammar the server's config file and the client's flags share. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { formatDuration, parseDuration } from '../src/index.js';

describe('parseDuration', () => {
  test('units, combined largest first; a bare integer is in the unit the caller names', () => {
    assert.equal(parseDuration('30s', 's'), 30_000);
    assert.equal(parseDuration('5m', 's'), 300_000);
    assert.equal(parseDuration('1h', 's'), 3_600_000);
    assert.equal(parseDuration('500ms', 's'), 500);
    assert.equal(parseDuration('1m30s', 's'), 90_000);
    assert.equal(parseDuration('1h2m3s4ms', 'ms'), 3_723_004);
    assert.equal(parseDuration(' 2s ', 's'), 2000);
    assert.equal(parseDuration('90', 's'), 90_000);
    assert.equal(parseDuration('90', 'ms'), 90);
    assert.equal(parseDuration('0', 's'), 0);
  });

  test('refuses what is not a duration', () => {
    const bad = [
      '',
      ' ',
      's',
      '5x',
      '5s1m',
      '5s5s',
      '1m1m',
      '-5s',
      '-5',
      '1.5s',
      '1.5',
      '5 s',
      '1m 30s',
      'ms5',
    ];
    for (const text of bad) {
      assert.equal(parseDuration(text, 's'), undefined, text);
      assert.equal(parseDuration(text, 'ms'), undefined, text);
    }
    assert.equal(parseDuration('9'.repeat(20), 's'), undefined, 'too large to be exact');
    assert.equal(parseDuration(`${'9'.repeat(17)}h`, 's'), undefined, 'too large to be exact');
  });

  test('formatDuration writes the shortest text that parses back to the same value', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(90_500), '1m30s500ms');
    assert.equal(formatDuration(3_600_000), '1h');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 * 86_400_000 }),
        (ms) => parseDuration(formatDuration(ms), 's') === ms,
      ),
    );
  });
});
