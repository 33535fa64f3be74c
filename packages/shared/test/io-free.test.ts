/**
 * The protocol core must stay pure: no I/O modules, no clock, no randomness. This test
 * reads the sources (tests may do I/O) and fails on any such use.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const src = join(fileURLToPath(import.meta.url), '../../../src');

test('packages/shared/src has no I/O, clock or randomness', () => {
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  assert.ok(
    files.some((f) => f.includes('/')),
    'sub-folders are read too',
  );
  assert.ok(files.length > 10);
  const forbidden = [
    /from ['"](node:)?(fs|net|dgram|child_process|http|https|os|process|crypto|dns|tls)['"]/,
    /\bprocess\./,
    /Date\.now|new Date\(/,
    /Math\.random/,
    /getRandomValues|randomBytes/,
    /\brequire\(/,
  ];
  for (const f of files) {
    const text = readFileSync(join(src, f), 'utf8');
    for (const re of forbidden) assert.doesNotMatch(text, re, `${f} matches ${re}`);
  }
});
