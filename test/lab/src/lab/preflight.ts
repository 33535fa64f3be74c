/** Can this machine build a lab? Root, iproute2, and working `ip netns` + bridge + veth. */
import { createNamespacesSync, IP_BIN, runIpSync } from '@spa/netns';

export type CanBuild = { ok: true } | { ok: false; reason: string };

let cached: CanBuild | undefined;

function probe(): CanBuild {
  if (process.platform !== 'linux')
    return { ok: false, reason: `network namespaces need Linux, not ${process.platform}` };
  if (process.getuid?.() !== 0) return { ok: false, reason: `must run as root (uid ${process.getuid?.()})` };
  const version = runIpSync(['-V']);
  if (version.code !== 0)
    return { ok: false, reason: `iproute2 not usable (${IP_BIN}): ${version.stderr.trim()}` };
  let probe: ReturnType<typeof createNamespacesSync>;
  try {
    probe = createNamespacesSync(['probe'], { cleanLeftovers: false });
  } catch (err) {
    return { ok: false, reason: `ip netns add failed: ${(err as Error).message}` };
  }
  const ns = probe.ns.probe!;
  try {
    const links = runIpSync(
      ['-n', ns, '-batch', '-'],
      'link add spal-pb type bridge\nlink add spal-pv type veth peer name spal-pw\n',
    );
    if (links.code !== 0) return { ok: false, reason: `bridge/veth not available: ${links.stderr.trim()}` };
    return { ok: true };
  } finally {
    probe.destroySync();
  }
}

/** Probes once per process (creates and deletes a throwaway namespace). */
export function canBuildLab(): CanBuild {
  cached ??= probe();
  return cached;
}
