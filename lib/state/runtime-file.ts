/**
 * `<data dir>/runtime.json` (`.local-data/runtime.json` by default): what a running `npm start`
 * tells other local tools (the `rules` CLI) about itself, and the mark that keeps a second
 * `npm start` off the same data. `npm start` claims it before starting anything (only `pid` and
 * `startedAt` then), fills it in once its emulators are up, and removes it when it stops; a file
 * whose process is gone is stale and is replaced. A tool reads it with `--local`. Format:
 *
 * ```json
 * {
 *   "pid": 12345,
 *   "startedAt": "2026-11-29T20:00:00.000Z",
 *   "dynamodbEndpoint": "http://127.0.0.1:PORT",
 *   "region": "us-east-1",
 *   "account": "20001",
 *   "sendApiUrl": "http://127.0.0.1:PORT",
 *   "apiToken": "…",
 *   "tables": { "rules": "local-Rules", "sessions": "local-Sessions", "guards": "local-Guards" }
 * }
 * ```
 *
 * Every field but `dynamodbEndpoint` and `tables.rules` may be left out by a hand-written file.
 * `apiToken` is the local send API's token (for `npm run login -- --local`): the file is written
 * readable by its owner only.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const DEFAULT_DATA_DIR = '.local-data';
export const RUNTIME_FILE_NAME = 'runtime.json';
export const RUNTIME_FILE = path.join(DEFAULT_DATA_DIR, RUNTIME_FILE_NAME);

const claimShape = z.object({
  pid: z.number().int().positive().optional(),
  startedAt: z.string().optional(),
});

const runtimeInfoShape = claimShape.extend({
  dynamodbEndpoint: z.url(),
  region: z.string().min(1).optional(),
  account: z.string().min(1).optional(),
  sendApiUrl: z.url().optional(),
  apiToken: z.string().min(1).optional(),
  tables: z.object({
    rules: z.string().min(1),
    sessions: z.string().min(1).optional(),
    guards: z.string().min(1).optional(),
  }),
});

export type LocalRuntimeInfo = z.output<typeof runtimeInfoShape>;
type RuntimeClaim = z.output<typeof claimShape>;

export class LocalRuntimeFileError extends Error {
  override readonly name = 'LocalRuntimeFileError';
}

/** Another `npm start` is running on the same data directory. */
export class LocalRuntimeBusyError extends Error {
  override readonly name = 'LocalRuntimeBusyError';
}

/**
 * Reads and checks the runtime file of a running `npm start`: `<projectDir>/.local-data/runtime.json`,
 * or `runtime.json` in `dataDir` (relative to the working directory) when given. The error says what
 * is missing or wrong, and how to start the runtime.
 */
export function readLocalRuntime(projectDir: string, dataDir?: string): LocalRuntimeInfo {
  const file = runtimeFilePath(dataDir === undefined ? path.join(projectDir, DEFAULT_DATA_DIR) : dataDir);
  if (!existsSync(file)) {
    throw new LocalRuntimeFileError(`${file} not found: start the local runtime with \`npm start\` first`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new LocalRuntimeFileError(`${file} is not JSON: ${(err as Error).message}`);
  }
  const claim = claimShape.safeParse(json);
  const pid = claim.success ? claim.data.pid : undefined;
  if (pid !== undefined && !isRunning(pid)) {
    throw new LocalRuntimeFileError(
      `${file} was left by npm start (pid ${pid}), which is no longer running: start it again with \`npm start\``,
    );
  }
  const parsed = runtimeInfoShape.safeParse(json);
  if (!parsed.success) {
    if (pid !== undefined && (json as { dynamodbEndpoint?: unknown }).dynamodbEndpoint === undefined) {
      throw new LocalRuntimeFileError(`npm start (pid ${pid}) is still starting: try again in a few seconds`);
    }
    const issue = parsed.error.issues[0];
    throw new LocalRuntimeFileError(
      `${file}: ${issue?.path.join('.') || '(file)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

export function runtimeFilePath(dataDir: string): string {
  return path.join(dataDir, RUNTIME_FILE_NAME);
}

/**
 * Makes `file` this process's: creates it with our pid, replacing a stale one (its process gone, or
 * unreadable); throws LocalRuntimeBusyError naming the running one. Creation is exclusive, so of two
 * starts racing for one file exactly one wins. Returns what it wrote, and the stale file's pid when
 * one was replaced.
 */
export function claimRuntimeFile(
  file: string,
  pid = process.pid,
): { readonly pid: number; readonly startedAt: string; readonly replacedPid?: number } {
  mkdirSync(path.dirname(file), { recursive: true });
  let replacedPid: number | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const claim = { pid, startedAt: new Date().toISOString() };
    try {
      writeFileSync(file, serialise(claim), { flag: 'wx' });
      return replacedPid === undefined ? claim : { ...claim, replacedPid };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const held = claimShape.safeParse(readJson(file) ?? {});
    const holder = held.success ? held.data : {};
    if (holder.pid !== undefined && holder.pid !== pid && isRunning(holder.pid)) {
      throw new LocalRuntimeBusyError(busyMessage(file, holder, readJson(file)));
    }
    if (holder.pid !== undefined && holder.pid !== pid) replacedPid = holder.pid;
    rmSync(file, { force: true });
  }
  throw new LocalRuntimeBusyError(`${file} keeps coming back: is another npm start starting right now?`);
}

/** Fills in the claimed file once the runtime is up. */
export function writeRuntimeFile(file: string, info: LocalRuntimeInfo): void {
  writeFileSync(file, serialise(info), { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** Removes `file` if it is still this process's (a later start may have replaced a stale one). */
export function releaseRuntimeFile(file: string, pid = process.pid): void {
  const held = claimShape.safeParse(readJson(file) ?? {});
  if (held.success && (held.data.pid === undefined || held.data.pid === pid)) rmSync(file, { force: true });
}

/** Whether a process with this pid exists (EPERM: it does, as another user's). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function busyMessage(file: string, holder: RuntimeClaim, json: unknown): string {
  const info = runtimeInfoShape.safeParse(json);
  const api = info.success && info.data.sendApiUrl ? `, send API ${info.data.sendApiUrl}` : '';
  const since = holder.startedAt ? `, started ${holder.startedAt}` : '';
  return (
    `npm start is already running on ${path.dirname(file)} (pid ${holder.pid}${since}${api}): ` +
    'stop it first, or give this one its own data folder with `npm start -- --data-dir DIR`'
  );
}

/** The file's JSON; undefined when there is no file, `{}` (a stale claim) when it does not parse. */
function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : {};
  }
}

function serialise(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
