/**
 * Reading the config file safely: it holds the server secret and every client key, so,
 * like ssh with a private key, a file that group or others may read or write is refused,
 * and so is one owned by anyone but root or the user running spa-server.
 */
import { closeSync, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from './errors.js';
import { DEFAULT_CONFIG_PATH } from './schema.js';

/** Mode and owner problems of an open file, as a ConfigError, or undefined if it is fine. */
export function permissionProblem(file: string, st: Pick<Stats, 'mode' | 'uid'>): ConfigError | undefined {
  const loose = st.mode & 0o077;
  if (loose) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    return new ConfigError(
      'config-permissions',
      file,
      '',
      `mode ${mode} lets ${loose & 0o070 ? 'group' : 'others'} ${loose & 0o022 ? 'change' : 'read'} it, and it holds secrets`,
      `chmod 600 ${file}`,
    );
  }
  const me = process.getuid?.() ?? 0;
  if (st.uid !== 0 && st.uid !== me) {
    return new ConfigError(
      'config-owner',
      file,
      '',
      `owned by uid ${st.uid}, not root or the current user (uid ${me})`,
      `chown ${me === 0 ? 'root' : me} ${file}`,
    );
  }
  return undefined;
}

function initHint(file: string): string {
  const flag = file === DEFAULT_CONFIG_PATH ? '' : ` --config ${file}`;
  return `create it with: spa-server init${flag} --interface IF --service ssh=22/tcp`;
}

/** Read the config file after checking its type, mode and owner (on the open descriptor). */
export function readConfigText(path: string): { file: string; text: string } {
  const file = resolve(path);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError('config-missing', file, '', 'no such file', initHint(file));
    if (code === 'EACCES' || code === 'EPERM') {
      throw new ConfigError(
        'config-unreadable',
        file,
        '',
        'permission denied',
        'run spa-server as root (sudo)',
      );
    }
    if (code === 'EISDIR')
      throw new ConfigError('config-invalid', file, '', 'is a directory', 'give the path of the file');
    throw new ConfigError(
      'config-unreadable',
      file,
      '',
      `cannot open: ${(e as Error).message}`,
      'check the path',
    );
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile())
      throw new ConfigError('config-invalid', file, '', 'is not a regular file', 'give the path of the file');
    const problem = permissionProblem(file, st);
    if (problem) throw problem;
    const text = readFileSync(fd, 'utf8');
    return { file, text };
  } finally {
    closeSync(fd);
  }
}
