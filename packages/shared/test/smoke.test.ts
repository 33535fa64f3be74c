import assert from 'node:assert/strict';
import { test } from 'node:test';
import { placeholder } from '../src/index.js';

test('builds', () => {
  assert.equal(placeholder, 1);
});
