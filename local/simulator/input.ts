/**
 * Validation of untrusted input (the world file, control API bodies). Every failure names the
 * field it is about, so a test author or a world author sees at once what to fix.
 */

export type JsonObject = Record<string, unknown>;

/** Bad input: answered 400 by the control API, reported as-is when loading a world. */
export class SimulatorInputError extends Error {
  override readonly name = 'SimulatorInputError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** A well-formed control request that cannot be honoured: unknown contact (404), wrong state (409). */
export class SimulatorControlError extends Error {
  override readonly name = 'SimulatorControlError';
  constructor(
    readonly status: 404 | 409,
    readonly code: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export function objectAt(raw: unknown, field: string): JsonObject {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SimulatorInputError(field, 'must be an object');
  }
  return raw as JsonObject;
}

export function arrayAt(raw: unknown, field: string): unknown[] {
  if (!Array.isArray(raw)) throw new SimulatorInputError(field, 'must be an array');
  return raw;
}

export function intAt(raw: unknown, field: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) {
    throw new SimulatorInputError(field, `must be an integer from ${min} to ${max}`);
  }
  return raw;
}

export function stringAt(raw: unknown, field: string): string {
  if (typeof raw !== 'string' || raw.length === 0) {
    throw new SimulatorInputError(field, 'must be a non-empty string');
  }
  return raw;
}

export function booleanAt(raw: unknown, field: string): boolean {
  if (typeof raw !== 'boolean') throw new SimulatorInputError(field, 'must be true or false');
  return raw;
}

export function oneOf<T extends string>(raw: unknown, field: string, values: readonly T[]): T {
  if (typeof raw !== 'string' || !(values as readonly string[]).includes(raw)) {
    throw new SimulatorInputError(field, `must be one of ${values.map((v) => `"${v}"`).join(', ')}`);
  }
  return raw as T;
}

/** Reads `obj[key]` with `read` when present (not undefined). */
export function optional<T>(
  obj: JsonObject,
  key: string,
  field: string,
  read: (raw: unknown, field: string) => T,
): T | undefined {
  const raw = obj[key];
  return raw === undefined ? undefined : read(raw, field ? `${field}.${key}` : key);
}

/** Rejects keys a caller did not mean (a typo such as `delay_ms` would otherwise be silently ignored). */
export function onlyKeys(obj: JsonObject, field: string, allowed: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw new SimulatorInputError(field ? `${field}.${key}` : key, 'unknown field');
    }
  }
}

/** An account or person number given as a JSON number or a numeric string. */
export function qqAt(raw: unknown, field: string): number {
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  return intAt(n, field, 10000, 0xffffffff);
}
