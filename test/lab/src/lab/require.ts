/**
 * For end-to-end tests: `if (!labAvailable(t)) return;` at the top of a test that needs a lab.
 * Without root or `ip netns` the test is skipped with a loud message on stderr, except under
 * CI=true, where a lab that cannot be built is a failure (CI runs as root).
 */
import { canBuildLab } from './preflight.js';

let warned = false;

export interface SkippableContext {
  skip(message?: string): void;
}

export function labAvailable(t: SkippableContext): boolean {
  const can = canBuildLab();
  if (can.ok) return true;
  const msg = `namespace lab unavailable: ${can.reason}`;
  if (process.env.CI === 'true') throw new Error(`${msg} (CI=true: failing instead of skipping)`);
  if (!warned) process.stderr.write(`\n!!! SKIPPING every namespace-lab test: ${msg} !!!\n\n`);
  warned = true;
  t.skip(msg);
  return false;
}
