/**
 * The "guarded services" on the server host: TCP listeners on the given ports, on IPv4 and IPv6
 * (one v4 and one v6-only socket per port), run by the server's agent. Each writes the banner
 * `spa-lab service PORT` on accept, then echoes.
 */
import { serviceBanner } from './agent-protocol.js';
import { LabError } from './errors.js';
import type { HostRef, Lab } from './lab.js';

export interface Services {
  ports: readonly number[];
  /** The banner line each service writes first. */
  banner(port: number): string;
  stop(): Promise<void>;
}

export async function startServices(
  lab: Lab,
  ports: readonly number[],
  host: HostRef = 'server',
): Promise<Services> {
  const agent = await lab.agent(host);
  const handles: number[] = [];
  const stop = async () => {
    await Promise.all(handles.splice(0).map((h) => agent.close(h)));
  };
  try {
    for (const port of ports) {
      for (const [addr, ipv6Only] of [
        ['0.0.0.0', false],
        ['::', true],
      ] as const) {
        const r = await agent.listenTcp(port, addr, { ipv6Only });
        if (!r.ok)
          throw new LabError('agent-failed', `service ${addr} port ${port}: ${r.error} ${r.message ?? ''}`);
        handles.push(r.handle);
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { ports: [...ports], banner: serviceBanner, stop };
}
