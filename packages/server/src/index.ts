/**
 * What other packages of the workspace (the lab) read from the server: constants whose value
 * a test must agree with. The server itself is used through its CLI (bin/spa-server.js).
 */
export { TRIAL_KERNEL_MARGIN_SECONDS } from './trial/index.js';
