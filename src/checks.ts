/**
 * Argument checks shared by every public function: options objects filled from documented
 * defaults, and tensor shapes. Errors name the function, the argument and what was expected.
 */
import * as tf from "@tensorflow/tfjs";

/** A rule for one option: returns an error text ("must be …") or undefined when valid. */
export type Rule<T> = (value: T) => string | undefined;

export const positiveInt: Rule<number> = (v) =>
  Number.isInteger(v) && v > 0 ? undefined : `must be a positive integer, got ${v}`;
export const nonNegativeInt: Rule<number> = (v) =>
  Number.isInteger(v) && v >= 0 ? undefined : `must be a non-negative integer, got ${v}`;
export const isBoolean: Rule<boolean> = (v) =>
  typeof v === "boolean" ? undefined : `must be true or false, got ${String(v)}`;
export const positive: Rule<number> = (v) =>
  Number.isFinite(v) && v > 0 ? undefined : `must be a finite number > 0, got ${v}`;
export const nonNegative: Rule<number> = (v) =>
  Number.isFinite(v) && v >= 0 ? undefined : `must be a finite number >= 0, got ${v}`;
export const finite: Rule<number> = (v) => (Number.isFinite(v) ? undefined : `must be finite, got ${v}`);
export const inRange =
  (lo: number, hi: number): Rule<number> =>
  (v) =>
    Number.isFinite(v) && v >= lo && v <= hi ? undefined : `must be in [${lo}, ${hi}], got ${v}`;

/**
 * Fill an options object from its defaults and check every field.
 * Unknown keys are rejected, since a misspelt option silently ignored is a bug.
 * @param where the algorithm's name, used in error messages
 */
export function fillOptions<T extends object>(
  where: string,
  defaults: T,
  given: Partial<T> | undefined,
  rules: { [K in keyof T]?: Rule<T[K]> } = {},
): T {
  const filled = { ...defaults } as T;
  for (const [key, value] of Object.entries(given ?? {})) {
    if (!(key in defaults)) {
      throw new Error(`${where}: unknown option "${key}"; known options are ${Object.keys(defaults).join(", ")}`);
    }
    if (value !== undefined) (filled as Record<string, unknown>)[key] = value;
  }
  for (const key of Object.keys(rules) as (keyof T)[]) {
    const problem = rules[key]?.(filled[key]);
    if (problem) throw new Error(`${where}: option ${String(key)} ${problem}`);
  }
  return filled;
}

/** Throw `${where}: ${what}` unless the condition holds. */
export function check(condition: boolean, where: string, what: string): asserts condition {
  if (!condition) throw new Error(`${where}: ${what}`);
}

/**
 * Check a tensor's shape against a pattern; `null` in the pattern matches any size.
 * Returns the actual shape so callers can read the free dimensions.
 * @example assertShape("mpc", "states", s, [null, 2])  // (B, 2)
 */
export function assertShape(where: string, name: string, t: tf.Tensor, expected: (number | null)[]): number[] {
  const ok = t.rank === expected.length && expected.every((d, i) => d === null || d === t.shape[i]);
  if (!ok) {
    const want = expected.map((d) => (d === null ? "*" : String(d))).join(", ");
    throw new Error(`${where}: ${name} must have shape [${want}], got [${t.shape.join(", ")}]`);
  }
  return t.shape;
}

/** Check that every entry of an array of numbers is finite. */
export function assertFinite(where: string, name: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]))
      throw new Error(`${where}: ${name} must be finite, but entry ${i} is ${values[i]}`);
  }
}
