/**
 * The bench's lab: one namespace lab with spa-server and fwknopd side by side on the server
 * host (guarding 22 and 2222, a TCP service on each), the prober and a pool of source
 * addresses on the client host, and the compiled flood generator for the attacker host.
 * `close()` tears all of it down; the lab also does on exit and on Ctrl-C.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Lab, type Services, startLab, startServices } from '../lab/index.js';
import { compileFlood, Flood, type FloodSpec } from './flood.js';
import { Fwknop } from './fwknop.js';
import { type LatencyRig, OPEN_PORT } from './latency.js';
import { Prober } from './probe.js';
import { SourcePool } from './sources.js';
import { Spa } from './spa.js';

export const SPA_GUARDED_PORT = 22;
export const FWKNOP_GUARDED_PORT = 2222;
const SOURCE_ADDRESSES = 200;

export interface Rig extends LatencyRig {
  lab: Lab;
  services: Services;
  spa: Spa;
  fwknop: Fwknop;
  floodBin: string;
  /** Starts a flood from the attacker host. */
  flood(spec: Omit<FloodSpec, 'dst'>): Flood;
  close(): Promise<void>;
}

export async function startRig(tmp: string, grantSeconds: number, log: (s: string) => void): Promise<Rig> {
  const floodBin = compileFlood(tmp);
  const lab = await startLab();
  try {
    log(`lab ${lab.runId} up in ${lab.upMs.toFixed(0)} ms`);
    const services = await startServices(lab, [SPA_GUARDED_PORT, FWKNOP_GUARDED_PORT, OPEN_PORT]);
    const spaDir = join(tmp, 'spa');
    const fwDir = join(tmp, 'fwknop');
    mkdirSync(spaDir, { recursive: true });
    mkdirSync(fwDir, { recursive: true, mode: 0o700 });
    const spa = await Spa.start(lab, { dir: spaDir, guardedPort: SPA_GUARDED_PORT, grantSeconds });
    log(`${spa.label} running (pid ${spa.pid}), guarding tcp/${SPA_GUARDED_PORT}`);
    const fwknop = await Fwknop.start(lab, { dir: fwDir, guardedPort: FWKNOP_GUARDED_PORT, grantSeconds });
    log(`${fwknop.label} running (pid ${fwknop.pid}), guarding tcp/${FWKNOP_GUARDED_PORT}`);
    const prober = await Prober.start(lab, 'client');
    const pool = await SourcePool.create(lab, lab.hosts.client, SOURCE_ADDRESSES);
    const server = lab.hosts.server;
    return {
      lab,
      services,
      spa,
      fwknop,
      floodBin,
      prober,
      pool,
      server,
      coolDownMs: (grantSeconds + 3) * 1000,
      flood: (spec) => Flood.start(lab, 'attacker', floodBin, { ...spec, dst: server.ipv4 }),
      close: async () => {
        await prober.stop().catch(() => {});
        await Promise.all([spa.stop(), fwknop.stop()]).catch(() => {});
        await lab.teardown();
      },
    };
  } catch (err) {
    await lab.teardown();
    throw err;
  }
}
