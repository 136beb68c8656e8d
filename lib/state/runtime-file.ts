/**
 * `.local-data/runtime.json`: what `npm start` tells other local tools (the `rules` CLI) about the
 * emulators it started. `npm start` writes it when its emulators are up; a tool reads it with
 * `--local`. Format:
 *
 * ```json
 * {
 *   "dynamodbEndpoint": "http://127.0.0.1:PORT",
 *   "region": "us-east-1",
 *   "tables": { "rules": "local-Rules", "sessions": "local-Sessions", "guards": "local-Guards" }
 * }
 * ```
 *
 * `region` and every table but `rules` may be left out.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const RUNTIME_FILE = path.join('.local-data', 'runtime.json');

const runtimeInfoShape = z.object({
  dynamodbEndpoint: z.url(),
  region: z.string().min(1).optional(),
  tables: z.object({
    rules: z.string().min(1),
    sessions: z.string().min(1).optional(),
    guards: z.string().min(1).optional(),
  }),
});

export type LocalRuntimeInfo = z.output<typeof runtimeInfoShape>;

export class LocalRuntimeFileError extends Error {
  override readonly name = 'LocalRuntimeFileError';
}

/** Reads and checks `<projectDir>/.local-data/runtime.json`; the error says what is missing or wrong. */
export function readLocalRuntime(projectDir: string): LocalRuntimeInfo {
  const file = path.join(projectDir, RUNTIME_FILE);
  if (!existsSync(file)) {
    throw new LocalRuntimeFileError(`${file} not found: start the local runtime with \`npm start\` first`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new LocalRuntimeFileError(`${file} is not JSON: ${(err as Error).message}`);
  }
  const parsed = runtimeInfoShape.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LocalRuntimeFileError(
      `${file}: ${issue?.path.join('.') || '(file)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}
