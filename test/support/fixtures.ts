import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The captured SmartQQ answers in shared/, beside the repository (CI lays out the same). */
export const FIXTURES_DIR = path.resolve(import.meta.dirname, '../../../shared/fixtures/smartqq');

export function fixtureText(name: string): string {
  return readFileSync(path.join(FIXTURES_DIR, name), 'utf8');
}

export function fixtureJson(name: string): Record<string, unknown> {
  return JSON.parse(fixtureText(name)) as Record<string, unknown>;
}
