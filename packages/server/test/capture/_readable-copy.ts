// A copy of the capture child and what it loads, in a temporary folder any user can read, for
// the scenario that runs the child as an unprivileged user (nobody). The checkout itself may
// sit under a folder nobody cannot traverse (a clone in a `mktemp -d` folder, mode 0700, or a
// home directory), and then node cannot even open the child: MODULE_NOT_FOUND (issue 17).
//
// Copied: this package's compiled `dist` and package.json (for "type": "module"), and the
// packages the child imports (`cap` with its compiled addon, `@spa/shared`) with their own
// dependencies, flat in one node_modules, each resolved the way node would from where it lives.

import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The bare imports of _pcap-child.js and the modules it loads (the rest are relative or node:). */
const CHILD_PACKAGES = ['cap', '@spa/shared'];

export interface ReadableCopy {
  /** The copied child script. */
  readonly child: string;
  readonly remove: () => void;
}

/** Copies the package (`packageDir`, the one holding dist/) so that any user can load `childRel` from the copy. */
export function readableCopy(packageDir: string, childRel: string): ReadableCopy {
  const root = mkdtempSync(join(tmpdir(), 'spa-pcap-child-'));
  try {
    const pkg = join(root, 'server');
    cpSync(join(packageDir, 'package.json'), join(pkg, 'package.json'));
    cpSync(join(packageDir, 'dist'), join(pkg, 'dist'), { recursive: true });
    const copied = new Set<string>();
    for (const name of CHILD_PACKAGES) copyPackage(name, packageDir, join(pkg, 'node_modules'), copied);
    openToAll(root);
    const child = join(pkg, childRel);
    if (!existsSync(child)) throw new Error(`readableCopy: ${childRel} is not in ${packageDir}`);
    return { child, remove: () => rmSync(root, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}

/** The real folder of package `name` as node resolves it from `fromDir` (walking up node_modules). */
function packageDirOf(name: string, fromDir: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) throw new Error(`readableCopy: cannot resolve ${name} from ${fromDir}`);
  }
}

function copyPackage(name: string, fromDir: string, into: string, copied: Set<string>): void {
  if (copied.has(name)) return;
  copied.add(name);
  const src = packageDirOf(name, fromDir);
  // A workspace package's own node_modules holds symlinks to its dependencies: those are
  // copied flat (below), not through the links.
  cpSync(src, join(into, name), {
    recursive: true,
    dereference: true,
    filter: (p) =>
      p === src ||
      !p
        .slice(src.length + 1)
        .split('/')
        .includes('node_modules'),
  });
  const manifest = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  for (const dep of Object.keys(manifest.dependencies ?? {})) copyPackage(dep, src, into, copied);
}

/** Readable (and folders traversable) by everyone, whatever the umask of the checkout was. */
function openToAll(path: string): void {
  const st = statSync(path);
  if (st.isDirectory()) {
    chmodSync(path, st.mode | 0o555);
    for (const name of readdirSync(path)) openToAll(join(path, name));
  } else {
    chmodSync(path, st.mode | 0o444);
  }
}
