/**
 * The real `npm start`, as a person runs it: `npm start -- <flags>` in the repository, in its own
 * process group (a terminal's Ctrl-C signals the whole group), with its output collected.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export const PROJECT_DIR = path.resolve(import.meta.dirname, '../..');

export interface NpmStart {
  readonly process: ChildProcess;
  /** Everything printed so far, stdout and stderr interleaved as they came. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output (now or later). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves once `check` holds of the output (now or later). */
  waitUntil(check: () => boolean, timeoutMs?: number): Promise<void>;
  /**
   * Resolves with npm's exit code (or the signal's name) once npm has exited and every process that
   * shared its output (node) has closed it.
   */
  readonly exited: Promise<number | string>;
  /** As a terminal's Ctrl-C does: the signal to every process of the group. */
  signalGroup(signal: NodeJS.Signals): void;
  /** As `kill PID` does: the signal to npm alone. */
  signalNpm(signal: NodeJS.Signals): void;
}

export function npmStart(flags: readonly string[]): NpmStart {
  const child = spawn('npm', ['start', '--', ...flags], {
    cwd: PROJECT_DIR,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const wake of waiters) wake();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | string>((resolve) => {
    child.on('close', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
      for (const wake of waiters) wake();
    });
  });
  let ended = false;
  void exited.then(() => {
    ended = true;
  });
  const waitUntil = (holds: () => boolean, what: string, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (holds()) {
          done();
          resolve();
        } else if (ended) {
          done();
          reject(new Error(`npm start exited before printing ${what}; it printed:\n${text}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}; npm start printed:\n${text}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return {
    process: child,
    output: () => text,
    exited,
    async waitFor(pattern, timeoutMs = 30_000) {
      await waitUntil(() => pattern.test(text), String(pattern), timeoutMs);
      return text.match(pattern) as RegExpMatchArray;
    },
    waitUntil: (check, timeoutMs = 30_000) => waitUntil(check, 'a condition', timeoutMs),
    signalGroup(signal) {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    },
    signalNpm(signal) {
      child.kill(signal);
    },
  };
}

/** Ends whatever is left of a group (a test that failed half-way). */
export function killGroup(start: NpmStart): void {
  try {
    if (start.process.pid !== undefined) process.kill(-start.process.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
