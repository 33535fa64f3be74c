/**
 * Everything the per-packet path looks up that depends on the configuration and the step:
 * the lookup table (KnockVerifier), the sequence candidates, the watched SPA ports and the
 * capture filter. Built once per configuration, rolled once per step.
 */
import { deriveServerKeys, stepStartMs } from '@spa/shared';
import type { ServerConfig } from '../config/types.js';
import { SequenceCandidates } from '../sequence/candidates.js';
import { KnockVerifier } from '../verify/knock-verifier.js';
import { captureFilter, watchedPorts } from './steps.js';

export class StepTables {
  readonly verifier: KnockVerifier;
  readonly candidates: SequenceCandidates | undefined;
  readonly #config: ServerConfig;
  readonly #portKey: Uint8Array;
  #step = -1;
  #watched: readonly number[] = [];
  #filter = '';
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
          clients: config.clients.values(),
          spec: config.sequence,
          stepSeconds: config.stepSeconds,
        })
      : undefined;
  }

  get step(): number {
    return this.#step;
  }

  get watched(): readonly number[] {
    return this.#watched;
  }

  get filter(): string {
    return this.#filter;
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
    this.#filter = captureFilter(this.#config, this.#watched);
    this.#nextStepMs = stepStartMs(step + 1, this.#config.stepSeconds);
    this.#step = step;
  }
}

export function buildTables(config: ServerConfig, step: number): StepTables {
  const tables = new StepTables(config);
  tables.roll(step);
  return tables;
}
