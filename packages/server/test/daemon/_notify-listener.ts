/**
 * A real systemd-style notification socket for tests: python3 (installed by scripts/setup.mjs)
 * binds an AF_UNIX datagram socket (a path, or an abstract name for '@…'), turns on
 * SO_PASSCRED like systemd does, and prints each datagram as a JSON line with the sender's pid
 * from the kernel's credentials. Not a mock: the bytes come through the kernel.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const SCRIPT = `
import json, socket, struct, sys
addr = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(b'\\0' + addr[1:].encode() if addr.startswith('@') else addr)
print('ready', flush=True)
while True:
    data, anc, flags, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = None
    for level, kind, blob in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack('iII', blob[:12])[0]
    print(json.dumps({'pid': pid, 'message': data.decode('utf-8', 'replace')}), flush=True)
`;

export interface NotifyMessage {
  readonly pid: number | null;
  readonly message: string;
}

export class NotifyListener {
  readonly messages: NotifyMessage[] = [];
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  /** Binds `address` (a path, or '@name' for an abstract socket) and resolves once it listens. */
  static async start(address: string): Promise<NotifyListener> {
    const child = spawn('python3', ['-c', SCRIPT, address], { stdio: ['ignore', 'pipe', 'pipe'] });
    const l = new NotifyListener(child);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += String(d);
    });
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        if (line === 'ready') resolve();
        else l.messages.push(JSON.parse(line) as NotifyMessage);
      });
      child.on('exit', (code) => reject(new Error(`notify listener exited ${code}: ${stderr}`)));
    });
    return l;
  }

  /** Waits (bounded) until `count` messages have arrived. */
  async waitFor(count: number, timeoutMs = 10_000): Promise<NotifyMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (this.messages.length < count)
      throw new Error(`${this.messages.length}/${count} notify messages: ${JSON.stringify(this.messages)}`);
    return this.messages;
  }

  close(): void {
    this.#child.kill('SIGKILL');
  }
}
