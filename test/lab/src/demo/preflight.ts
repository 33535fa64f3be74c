/**
 * Before building anything: can this machine run the demo? Root and network namespaces (the
 * lab's own probe), plus the two tools the transcript shows: tcpdump (the eavesdropper) and
 * OpenBSD netcat (every connection test). Each miss comes with the fix.
 */
import { spawnSync } from 'node:child_process';
import { canBuildLab } from '../lab/index.js';

export interface Missing {
  readonly what: string;
  readonly fix: string;
}

const TOOLS = [
  { bin: 'tcpdump', pkg: 'tcpdump' },
  { bin: 'nc', pkg: 'netcat-openbsd' },
] as const;

function onPath(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}

/** Everything missing; empty when the demo can run. */
export function demoPreflight(): Missing[] {
  const missing: Missing[] = [];
  const lab = canBuildLab();
  if (!lab.ok)
    missing.push({ what: `namespace lab: ${lab.reason}`, fix: 'run as root on Linux (sudo npm run demo)' });
  const pkgs = TOOLS.filter((t) => !onPath(t.bin));
  if (pkgs.length > 0) {
    const names = pkgs.map((t) => t.pkg).join(' ');
    missing.push({
      what: `missing ${pkgs.map((t) => t.bin).join(', ')}`,
      fix: `apt-get install -y ${names}`,
    });
  }
  return missing;
}
