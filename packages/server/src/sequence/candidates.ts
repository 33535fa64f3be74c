/**
 * The one-time knock sequences the server accepts right now: one per (client, service the
 * client may open, step) for steps T-1, T and T+1, derived with `deriveSequence` and indexed
 * by first knock. Steps are cached, so a roll derives only the new step's sequences.
 *
 * Candidate ids are `client/service/step`; a completed one is burned under that id until
 * its step leaves the candidate steps (`burnedUntilMs`).
 */
import {
  CandidateIndex,
  deriveSequence,
  type SequenceCandidate,
  type SequenceSpec,
  stepStartMs,
} from '@spa/shared';
import type { ClientDef } from '../config/types.js';

/** What a candidate opens when completed. */
export interface SequenceTarget {
  readonly client: ClientDef;
  readonly service: string;
  readonly step: number;
}

export interface CandidateSetup {
  readonly clients: Iterable<ClientDef>;
  readonly spec: SequenceSpec;
  readonly stepSeconds: number;
}

export class SequenceCandidates {
  readonly #clients: readonly ClientDef[];
  readonly #spec: SequenceSpec;
  readonly #stepSeconds: number;
  readonly #byStep = new Map<number, SequenceCandidate[]>();
  readonly #targets = new Map<string, SequenceTarget>();
  #index = new CandidateIndex();
  #step = -1;

  constructor(setup: CandidateSetup) {
    this.#clients = [...setup.clients];
    this.#spec = setup.spec;
    this.#stepSeconds = setup.stepSeconds;
  }

  get index(): CandidateIndex {
    return this.#index;
  }

  get step(): number {
    return this.#step;
  }

  /** Make steps T-1, T, T+1 the candidates. */
  roll(step: number): void {
    if (step === this.#step) return;
    const steps = [step - 1, step, step + 1].filter((s) => s >= 0);
    for (const s of [...this.#byStep.keys()]) {
      if (steps.includes(s)) continue;
      for (const c of this.#byStep.get(s)!) this.#targets.delete(c.id);
      this.#byStep.delete(s);
    }
    const index = new CandidateIndex();
    for (const s of steps) {
      let list = this.#byStep.get(s);
      if (!list) {
        list = this.#derive(s);
        this.#byStep.set(s, list);
      }
      for (const c of list) index.add(c);
    }
    this.#index = index;
    this.#step = step;
  }

  target(id: string): SequenceTarget | undefined {
    return this.#targets.get(id);
  }

  /** Until when a completed candidate of `step` must stay burned: the start of step + 2. */
  burnedUntilMs(step: number): number {
    return stepStartMs(step + 2, this.#stepSeconds);
  }

  #derive(step: number): SequenceCandidate[] {
    const out: SequenceCandidate[] = [];
    for (const client of this.#clients) {
      for (const service of client.services) {
        const id = `${client.name}/${service}/${step}`;
        out.push({ id, knocks: deriveSequence(client.keys.sequence, step, service, this.#spec) });
        this.#targets.set(id, { client, service, step });
      }
    }
    return out;
  }
}
