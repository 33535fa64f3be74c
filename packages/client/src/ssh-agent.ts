/**
 * A client of ssh-agent over its Unix socket ($SSH_AUTH_SOCK), written against OpenSSH's
 * published agent protocol (draft-miller-ssh-agent §3, §4.4, §4.5): list identities, sign.
 * No native module: node:net. Each request is one connection; the agent's answers are
 * parsed with bounds checks (an agent is trusted software, but a wrong socket is not).
 *
 *   message = uint32 length ‖ byte type ‖ contents
 *   SSH_AGENTC_REQUEST_IDENTITIES (11)  →  SSH_AGENT_IDENTITIES_ANSWER (12):
 *       uint32 nkeys, nkeys × (string key blob, string comment)
 *   SSH_AGENTC_SIGN_REQUEST (13): string key blob, string data, uint32 flags
 *                                        →  SSH_AGENT_SIGN_RESPONSE (14): string signature
 *   SSH_AGENT_FAILURE (5): refused (locked, key gone, user declined, security key not touched)
 */
import { connect } from 'node:net';
import { concat, SshReader, sshString, u32be } from '@spa/shared';

export const SSH_AGENT_FAILURE = 5;
export const SSH_AGENTC_REQUEST_IDENTITIES = 11;
export const SSH_AGENT_IDENTITIES_ANSWER = 12;
export const SSH_AGENTC_SIGN_REQUEST = 13;
export const SSH_AGENT_SIGN_RESPONSE = 14;

/** Longest answer we read (an identities list of many keys fits easily). */
const MAX_ANSWER = 256 * 1024;

export interface AgentIdentity {
  readonly blob: Uint8Array;
  readonly comment: string;
}

/** Why talking to the agent failed; the caller turns it into a message with the fix. */
export class AgentError extends Error {
  constructor(
    readonly kind: 'unreachable' | 'refused' | 'protocol' | 'timeout',
    message: string,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}

/**
 * How long a sign request may take (a security key waits for its touch). The knock's timestamp
 * is signed, so it is taken before the touch: past the server's window (±30 s by default) the
 * knock would arrive `stale`. 25 s keeps a slow touch inside the default window.
 */
export const AGENT_SIGN_TIMEOUT_MS = 25_000;

export class SshAgent {
  constructor(
    readonly socketPath: string,
    readonly timeoutMs = AGENT_SIGN_TIMEOUT_MS,
  ) {}

  async identities(): Promise<AgentIdentity[]> {
    const answer = await this.#request(Uint8Array.of(SSH_AGENTC_REQUEST_IDENTITIES), 5_000);
    if (answer[0] === SSH_AGENT_FAILURE)
      throw new AgentError('refused', 'the agent refused to list its keys');
    if (answer[0] !== SSH_AGENT_IDENTITIES_ANSWER)
      throw new AgentError('protocol', `unexpected answer ${answer[0]} to a key list request`);
    const r = new SshReader(answer.subarray(1));
    const n = r.u32();
    if (n === undefined || n > 4096) throw new AgentError('protocol', 'malformed key list');
    const out: AgentIdentity[] = [];
    for (let i = 0; i < n; i++) {
      const blob = r.string();
      const comment = r.string();
      if (!blob || !comment) throw new AgentError('protocol', 'malformed key list');
      out.push({ blob: blob.slice(), comment: new TextDecoder().decode(comment) });
    }
    return out;
  }

  /** The signature blob (`string type ‖ string sig …`) over `data` by the key `blob`. */
  async sign(blob: Uint8Array, data: Uint8Array, flags = 0): Promise<Uint8Array> {
    const req = concat(
      Uint8Array.of(SSH_AGENTC_SIGN_REQUEST),
      sshString(blob),
      sshString(data),
      u32be(flags),
    );
    const answer = await this.#request(req, this.timeoutMs);
    if (answer[0] === SSH_AGENT_FAILURE) throw new AgentError('refused', 'the agent refused to sign');
    if (answer[0] !== SSH_AGENT_SIGN_RESPONSE)
      throw new AgentError('protocol', `unexpected answer ${answer[0]} to a sign request`);
    const sig = new SshReader(answer.subarray(1)).string();
    if (!sig) throw new AgentError('protocol', 'malformed sign response');
    return sig.slice();
  }

  #request(body: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.socketPath);
      const chunks: Buffer[] = [];
      let got = 0;
      const done = (err: Error | undefined, value?: Uint8Array) => {
        clearTimeout(timer);
        socket.destroy();
        if (err) reject(err);
        else resolve(value!);
      };
      const timer = setTimeout(
        () =>
          done(new AgentError('timeout', `no answer from the agent in ${Math.round(timeoutMs / 1000)} s`)),
        timeoutMs,
      );
      socket.on('connect', () => socket.write(concat(u32be(body.length), body)));
      socket.on('data', (d: Buffer) => {
        chunks.push(d);
        got += d.length;
        if (got < 4) return;
        const all = Buffer.concat(chunks);
        const n = all.readUInt32BE(0);
        if (n === 0 || n > MAX_ANSWER) return done(new AgentError('protocol', `bad answer length ${n}`));
        if (all.length >= 4 + n) done(undefined, new Uint8Array(all.subarray(4, 4 + n)));
      });
      socket.on('error', (e: NodeJS.ErrnoException) =>
        done(
          e.code === 'ENOENT' || e.code === 'ECONNREFUSED' || e.code === 'ENOTSOCK' || e.code === 'EACCES'
            ? new AgentError('unreachable', `cannot reach ssh-agent at ${this.socketPath} (${e.code})`)
            : new AgentError('protocol', `ssh-agent socket: ${e.code ?? e.message}`),
        ),
      );
      socket.on('end', () => done(new AgentError('protocol', 'the agent closed the connection')));
    });
  }
}
