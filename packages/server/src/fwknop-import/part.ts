/**
 * What one part of a stanza's plan (its source, keys, digest, ports …) comes to: the spa keys
 * it sets, and every variable it carried, did not carry (with why) or refused (with the fix).
 * planStanza (plan.ts) joins the parts in a fixed order.
 */
import type { AccessEntry } from './access-conf.js';
import { type AccessVariable, isKnownVariable, isSecretVariable } from './variables.js';

export interface Carried {
  readonly fwknop: string;
  /** What it became, e.g. `services = ["ssh"]`. */
  readonly spa: string;
}

export interface NotCarried {
  readonly fwknop: string;
  /** The value, safe to print: secrets are "(set)". */
  readonly value: string;
  readonly why: string;
  readonly line?: number;
}

export interface Refusal {
  readonly why: string;
  readonly fix: string;
}

export interface NewService {
  readonly name: string;
  /** "22/tcp" */
  readonly spec: string;
}

export interface Part {
  /** Keys of the `[fwknop_clients.NAME]` table. */
  readonly table: Record<string, unknown>;
  readonly carried: Carried[];
  readonly notCarried: NotCarried[];
  readonly refused: Refusal[];
  readonly newServices: NewService[];
}

/** A part being built, with the verbs every part uses. */
export class PartBuilder implements Part {
  readonly table: Record<string, unknown> = {};
  readonly carried: Carried[] = [];
  readonly notCarried: NotCarried[] = [];
  readonly refused: Refusal[] = [];
  readonly newServices: NewService[] = [];

  carry(fwknop: string, spa: string): void {
    this.carried.push({ fwknop, spa });
  }

  /** A variable of the stanza that does not carry. */
  skip(e: AccessEntry, why: string): void {
    this.notCarried.push({ fwknop: e.key, value: shownValue(e.key, e.value), why, line: e.line });
  }

  refuse(why: string, fix: string): void {
    this.refused.push({ why, fix });
  }
}

/** The effective line of each variable of a stanza (after fwknopd's last-line-wins). */
export type Lookup = (variable: AccessVariable) => AccessEntry | undefined;

/** How a value may be printed: secrets never, other values cut short and without control characters. */
export function shownValue(key: string, value: string): string {
  if (isSecretVariable(key)) return '(set)';
  // A misspelt secret variable ("HMAC_KEY_BASE46") is still a secret.
  if (!isKnownVariable(key) && /KEY|PW|PASS|SECRET/i.test(key)) return '(set)';
  const clean = value.replace(/[\p{Cc}\p{Cf}]/gu, '?');
  return clean.length > 60 ? `${clean.slice(0, 57)}...` : clean;
}

/** fwknopd: a value starting with Y (any case) is yes. */
export function yes(value: string): boolean {
  return /^y/i.test(value);
}
