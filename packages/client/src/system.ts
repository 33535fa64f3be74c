/**
 * The real dependencies: UDP and TCP sockets, the system resolver, the clocks, node:crypto.
 * Wired here and used by the CLI; tests pass fakes to the same functions instead.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { tcpKnock, UdpSender } from './knock-sender.js';
import type { KnockDeps } from './knock-service.js';
import { probeTcp } from './port-probe.js';
import { systemLookup } from './resolve.js';
import { fileSentSequences } from './sent-sequences.js';
import { SshAgent } from './ssh-agent.js';

export interface SystemDeps extends KnockDeps {
  /** Close the UDP sockets (they do not keep the process alive either way). */
  close(): void;
}

export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch (e) {
    if ((e as Error).name !== 'AbortError') throw e;
  }
}

export function systemDeps(): SystemDeps {
  const udp = new UdpSender();
  return {
    send: (to, payload) => udp.send(to, payload),
    probe: probeTcp,
    tcpKnock: (to) => tcpKnock(to),
    now: () => Date.now(),
    monotonic: () => performance.now(),
    random: (n) => new Uint8Array(randomBytes(n)),
    sleep,
    lookup: systemLookup,
    sent: fileSentSequences(),
    agent: process.env.SSH_AUTH_SOCK ? new SshAgent(process.env.SSH_AUTH_SOCK) : undefined,
    close: () => udp.close(),
  };
}
