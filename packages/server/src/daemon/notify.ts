/**
 * systemd's readiness protocol (sd_notify(3)): with `Type=notify` the daemon says READY=1 once
 * it listens, RELOADING=1 with MONOTONIC_USEC (CLOCK_MONOTONIC now, in µs) when a reload
 * starts and READY=1 when it is done, and STOPPING=1 when it stops. Each message is one
 * datagram to the AF_UNIX socket named by $NOTIFY_SOCKET (abstract when it starts with '@').
 *
 * Why our own few lines of C (native/sd_notify.c) and not a package or a helper process:
 * Node's core has no unix datagram socket; the well-kept package for one (unix-dgram 2.0.7)
 * copies the path with strncpy and a fixed address length, so it cannot reach an abstract
 * socket; sd-notify needs libsystemd's headers; and a `systemd-notify` child sends with its
 * own pid, which NotifyAccess=main refuses (spoofing our pid with --pid needs CAP_SYS_ADMIN,
 * which the unit does not grant), and on systemd < 254 a sender that has already exited may
 * not be matched to the unit at all. The unit (systemd/spa-server.service) keeps
 * NotifyAccess=main, so nft/ipset children can never speak for the daemon.
 */
import { createRequire } from 'node:module';

export interface Notifier {
  /** True when $NOTIFY_SOCKET was set (systemd listens). */
  readonly enabled: boolean;
  ready(): void;
  /** RELOADING=1 and MONOTONIC_USEC (now, by the same clock systemd reads). */
  reloading(): void;
  stopping(): void;
}

type Send = (path: string, message: Buffer) => number;
type Warn = (msg: string, fields: Record<string, unknown>) => void;

/** CLOCK_MONOTONIC in µs: libuv's hrtime reads CLOCK_MONOTONIC on Linux. */
export function monotonicUsec(): bigint {
  return process.hrtime.bigint() / 1000n;
}

export const NOTIFY_ADDON = '../../../native/build/sd_notify.node';

function loadSend(): Send {
  const require = createRequire(import.meta.url);
  return (require(NOTIFY_ADDON) as { send: Send }).send;
}

/**
 * A notifier for $NOTIFY_SOCKET; a no-op without it. The variable is removed from this
 * process's environment (as sd_notify's unset_environment does) so that the firewall tools we
 * spawn do not inherit it. A failure to send is logged, never thrown.
 */
export function systemdNotifier(
  warn: Warn,
  env: NodeJS.ProcessEnv = process.env,
  send: Send | undefined = undefined,
): Notifier {
  const socket = env.NOTIFY_SOCKET;
  delete env.NOTIFY_SOCKET;
  if (!socket) return { enabled: false, ready() {}, reloading() {}, stopping() {} };
  let sender = send;
  const notify = (message: string) => {
    try {
      sender ??= loadSend();
    } catch (err) {
      warn(
        'cannot notify systemd: the sd_notify addon is not built (node packages/server/native/build.mjs)',
        {
          err,
        },
      );
      return;
    }
    const rc = sender(socket, Buffer.from(message));
    if (rc !== 0) warn('cannot notify systemd', { socket, message, errno: -rc });
  };
  return {
    enabled: true,
    ready: () => notify('READY=1'),
    reloading: () => notify(`RELOADING=1\nMONOTONIC_USEC=${monotonicUsec()}`),
    stopping: () => notify('STOPPING=1'),
  };
}
