/**
 * Root-only suites: skip loudly when the lab cannot run here, but fail under CI
 * (CI runs as root, so a skip there would hide a broken setup).
 */
import { test } from 'node:test';
import { labUnavailable } from './_lab.js';

/** Returns the reason to skip, or undefined to run. Under CI=true a reason becomes a failing test. */
export function labSkipReason(suite: string, tools: string[]): string | undefined {
  const why = labUnavailable(tools);
  if (!why) return undefined;
  if (process.env.CI === 'true') {
    test(`${suite}: lab available`, () => {
      throw new Error(`${why} (CI=true, so this is a failure, not a skip)`);
    });
    return why;
  }
  process.stderr.write(`\n*** SKIPPING ${suite}: ${why} ***\n\n`);
  test(`${suite}: lab available`, { skip: why }, () => {}); // counted as skipped in the summary
  return why;
}
