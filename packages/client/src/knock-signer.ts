/**
 * Two-factor knocks, client side: find the profile's SSH key in the user's ssh-agent and have
 * it sign each knock (docs/protocol.md §12). Every failure becomes a ClientError that says
 * what to run.
 */
import {
  isSkType,
  parsePublicKeyBlob,
  parseSignatureBlob,
  type SshPublicKey,
  type SshSignature,
  sshFingerprint,
} from '@spa/shared';
import { ClientError } from './errors.js';
import { type AgentError, type AgentIdentity, SshAgent } from './ssh-agent.js';

/** Signs one knock message. */
export type KnockSigner = (message: Uint8Array) => Promise<SshSignature>;

export interface SignerEvents {
  /** An sk key is about to be asked: the user must touch it (within `waitSeconds`). */
  onTouch?(waitSeconds: number): void;
}

/** What the agent needs of the outside world (a fake in unit tests, SshAgent for real). */
export interface AgentLike {
  identities(): Promise<AgentIdentity[]>;
  sign(blob: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  readonly timeoutMs: number;
}

const ADD_HINT = 'load it with `ssh-add ~/.ssh/id_ed25519` (your key file), then try again';

/** The agent at `socketPath` ($SSH_AUTH_SOCK), or a clear error when there is none. */
export function agentAt(socketPath: string | undefined): SshAgent {
  if (!socketPath)
    throw new ClientError(
      'no-agent',
      'this profile needs your SSH key to sign the knock, but no ssh-agent is running here ($SSH_AUTH_SOCK is not set)',
      'start one and load the key: `eval $(ssh-agent); ssh-add ~/.ssh/id_ed25519` (or log in with `ssh -A` from where it runs)',
    );
  return new SshAgent(socketPath);
}

/** Find the key with `fingerprint` in the agent; return a signer for it. */
export async function agentSigner(
  agent: AgentLike,
  fingerprint: string,
  events: SignerEvents = {},
): Promise<{ key: SshPublicKey; sign: KnockSigner }> {
  const ids = await call(() => agent.identities());
  const id = ids.find((i) => sshFingerprint(i.blob) === fingerprint);
  const key = id && parsePublicKeyBlob(id.blob);
  if (!id || !key) {
    const held = ids.map((i) => sshFingerprint(i.blob));
    throw new ClientError(
      'agent-key',
      ids.length === 0
        ? `the ssh-agent holds no keys, or is locked; this profile needs ${fingerprint}`
        : `the ssh-agent does not hold the key this profile needs (${fingerprint}); it holds ${held.join(', ')}`,
      ids.length === 0 ? `${ADD_HINT} (or \`ssh-add -X\` to unlock a locked agent)` : ADD_HINT,
    );
  }
  const sign: KnockSigner = async (message) => {
    if (isSkType(key.type)) events.onTouch?.(Math.round(agent.timeoutMs / 1000));
    const blob = await call(() => agent.sign(id.blob, message), isSkType(key.type));
    const sig = parseSignatureBlob(blob);
    if (!sig || sig.type !== key.type)
      throw new ClientError('agent-refused', 'the ssh-agent answered with a signature spa cannot read');
    return sig;
  };
  return { key, sign };
}

async function call<T>(f: () => Promise<T>, sk = false): Promise<T> {
  try {
    return await f();
  } catch (e) {
    const err = e as AgentError;
    if (err.name !== 'AgentError') throw e;
    if (err.kind === 'unreachable')
      throw new ClientError(
        'no-agent',
        `${err.message}: this profile needs your SSH key to sign the knock`,
        'start an agent and load the key: `eval $(ssh-agent); ssh-add ~/.ssh/id_ed25519`',
      );
    if (err.kind === 'refused' || err.kind === 'timeout')
      throw new ClientError(
        'agent-refused',
        sk
          ? `the security key did not sign (${err.message}): it was not touched in time, or the agent is locked`
          : `the ssh-agent refused to sign the knock (${err.message}): it may be locked, or asked for confirmation that was declined`,
        sk
          ? 'run the command again and touch your security key when it blinks'
          : `unlock it with \`ssh-add -X\`, or ${ADD_HINT}`,
      );
    throw new ClientError(
      'agent-refused',
      `ssh-agent: ${err.message}`,
      'check $SSH_AUTH_SOCK points at an ssh-agent',
    );
  }
}
