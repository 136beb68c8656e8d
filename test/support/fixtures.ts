import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The captured SmartQQ answers (see test/fixtures/smartqq/README.md for where they come from). */
export const FIXTURES_DIR = path.resolve(import.meta.dirname, '../fixtures/smartqq');

export function fixtureText(name: string): string {
  return readFileSync(path.join(FIXTURES_DIR, name), 'utf8');
}

export function fixtureJson(name: string): Record<string, unknown> {
  return JSON.parse(fixtureText(name)) as Record<string, unknown>;
}
