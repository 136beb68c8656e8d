import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The captured SmartQQ answers in shared/, beside the repository (CI lays out the same);
 * SMARTQQ_FIXTURES points elsewhere.
 */
export const FIXTURES_DIR =
  process.env.SMARTQQ_FIXTURES ?? path.resolve(import.meta.dirname, '../../../shared/fixtures/smartqq');

function fixturePath(name: string): string {
  if (!existsSync(FIXTURES_DIR)) {
    throw new Error(
      `SmartQQ fixtures not found at ${FIXTURES_DIR}: put shared/ beside the repository or set SMARTQQ_FIXTURES`,
    );
  }
  return path.join(FIXTURES_DIR, name);
}

export function fixtureText(name: string): string {
  return readFileSync(fixturePath(name), 'utf8');
}

export function fixtureJson(name: string): Record<string, unknown> {
  return JSON.parse(fixtureText(name)) as Record<string, unknown>;
}
