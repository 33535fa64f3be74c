/**
 * What the bench needs from a system under test (spa-server, fwknopd): a daemon on the server
 * host guarding one TCP port, and a way to make one fresh SPA datagram that opens it for a given
 * source address. Both are measured by the same code through this interface.
 */

export type SystemName = 'spa' | 'fwknop';

export interface Knock {
  bytes: Uint8Array;
  /** UDP destination port of the datagram. */
  port: number;
}

export interface GuardedSystem {
  readonly name: SystemName;
  /** Human label with version, for the report. */
  readonly label: string;
  /** TCP port the daemon guards. */
  readonly guardedPort: number;
  /** Pid of the daemon (for /proc). */
  readonly pid: number;
  /** Seconds a grant asked for by `knock` lasts. */
  readonly grantSeconds: number;
  /** Size of this system's SPA datagram, for forged floods of the same size. */
  readonly packetSize: number;
  /** Forged floods of this system use random base64 text (fwknop) or random bytes (spa). */
  readonly base64: boolean;
  /** A fresh datagram, sealed now, that lets `source` in. */
  knock(source: string): Promise<Knock>;
  stop(): Promise<void>;
}
