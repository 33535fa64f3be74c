/**
 * Everything the per-packet path looks up that depends on the configuration and the step:
 * the lookup table (KnockVerifier), the sequence candidates and the watched SPA ports (T-1, T,
 * T+1). Built once per configuration, rolled once per step. The capture filter is not here: it
 * spans many steps and is re-armed far less often (FilterHorizon).
 */
import { deriveServerKeys, stepStartMs } from '@spa/shared';
import { signedOnly } from '../config/index.js';
import type { ServerConfig } from '../config/types.js';
import { SequenceCandidates } from '../sequence/index.js';
import { FwknopVerifier, KnockVerifier } from '../verify/index.js';
import { watchedPorts } from './steps.js';

export class StepTables {
  readonly verifier: KnockVerifier;
  readonly candidates: SequenceCandidates | undefined;
  /** Clients of the stock fwknop client; undefined when there are none. */
  readonly fwknop: FwknopVerifier | undefined;
  readonly #config: ServerConfig;
  readonly #portKey: Uint8Array;
  #step = -1;
  #watched: readonly number[] = [];
  #nextStepMs = 0;

  constructor(config: ServerConfig) {
    const serverKeys = deriveServerKeys(config.serverSecret);
    this.#config = config;
    this.#portKey = serverKeys.port;
    this.verifier = new KnockVerifier({
      headerKey: serverKeys.header,
      serverId: config.serverId,
      stepSeconds: config.stepSeconds,
      window: config.window,
      clients: config.clients.values(),
    });
    this.candidates = config.sequence
      ? new SequenceCandidates({
          // Two-factor clients have no sequences: a sequence carries no signature.
          clients: [...config.clients.values()].filter((c) => !signedOnly(config, c.sshKey !== undefined)),
          spec: config.sequence,
          stepSeconds: config.stepSeconds,
        })
      : undefined;
    this.fwknop =
      config.fwknop.clients.size > 0
        ? new FwknopVerifier(config.fwknop.clients.values(), config.window)
        : undefined;
  }

  get step(): number {
    return this.#step;
  }

  get watched(): readonly number[] {
    return this.#watched;
  }

  /** First millisecond of the next step: the per-packet roll check is one comparison. */
  get nextStepMs(): number {
    return this.#nextStepMs;
  }

  roll(step: number): void {
    if (step === this.#step) return;
    this.verifier.roll(step);
    this.candidates?.roll(step);
    this.#watched = watchedPorts(this.#portKey, step, this.#config.knock);
    this.#nextStepMs = stepStartMs(step + 1, this.#config.stepSeconds);
    this.#step = step;
  }
}

export function buildTables(config: ServerConfig, step: number): StepTables {
  const tables = new StepTables(config);
  tables.roll(step);
  return tables;
}
