// Two-factor test keys: see src/fuzz/ssh-keys.ts.
export { type TestSshKey, testSshKey } from '../../src/fuzz/ssh-keys.js';
