/**
 * The end-to-end harness: the whole local runtime (`local/runtime`) with the real handlers, on
 * loopback ports chosen at run time, a short poll hold, and the demo world scanning each QR by
 * itself. Start one per test file (the runtime starts once per process; vitest gives each file its
 * own) and close it in `afterAll`.
 *
 * ```ts
 * let bot: E2eRuntime;
 * beforeAll(async () => { bot = await startE2eRuntime(); await bot.waitForSession('online'); });
 * afterAll(() => bot.close());
 * ```
 */
import type { SessionRecord, SessionState } from '../../lib/pipeline/ports.ts';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '../../local/runtime/index.ts';
import type { InjectResult, MessageInput, SentRecord, Simulator } from '../../local/simulator/index.ts';

export interface E2eRuntime {
  readonly runtime: LocalRuntime;
  /** The built-in SmartQQ simulator the runtime talks to. */
  readonly sim: Simulator;
  /** The runtime's own notices so far: function timeouts and errors, failed batches, skipped ticks. */
  readonly notices: readonly string[];
  /** Resolves with the session record once its state is `state` (the poller writes it). */
  waitForSession(state: SessionState, timeoutMs?: number): Promise<SessionRecord>;
  /** A message from a demo contact (simulator control API), picked up by the next poll. */
  inject(message: MessageInput): InjectResult;
  /** Resolves with the first message the bot sent (now or later) that `match` accepts. */
  waitForSent(match: (sent: SentRecord) => boolean, timeoutMs?: number): Promise<SentRecord>;
  /** `POST /v1/messages` on the send API, with the runtime's bearer token unless `headers` says otherwise. */
  sendApi(body: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/** Fast defaults for tests; any option of the runtime can be overridden. */
/** A rule for every account that answers as the account itself: which bot answered is in the text. */
export const WHO_ARE_YOU_RULE = {
  account: '*',
  id: 'who',
  chatTypes: ['friend', 'group'],
  match: 'exact',
  pattern: 'who are you',
  replies: ['I am {bot}'],
} as const;

export const E2E_DEFAULTS = {
  pollHoldMs: 1_000,
  pollMarginMs: 500,
  autoScanAfterMs: 300,
  /** A QR login or relink the first invocation could not finish is retried this soon. */
  scheduleRateMs: 10_000,
  sqsWaitTimeSeconds: 1,
  /** Pacing off: a test that checks pacing sets it. */
  sendIntervalMs: 0,
  /** The expected warnings of a test (a poll cut by close(), an injected fault) stay out of the output. */
  handlerLogLevel: 'ERROR',
} satisfies LocalRuntimeOptions;

const POLL_EVERY_MS = 50;

export async function startE2eRuntime(options: LocalRuntimeOptions = {}): Promise<E2eRuntime> {
  const notices: string[] = [];
  const runtime = await startLocalRuntime({
    ...E2E_DEFAULTS,
    log: (line) => notices.push(line),
    ...options,
  });
  const sim = runtime.simulator;
  if (!sim) throw new Error('the e2e harness runs the built-in simulator: no smartqqUrl');

  const waitFor = async <T>(
    what: string,
    probe: () => Promise<T | undefined> | T | undefined,
    timeoutMs: number,
  ) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await probe();
      if (found !== undefined) return found;
      if (Date.now() > deadline) {
        const log = notices.length > 0 ? `; runtime notices:\n  ${notices.join('\n  ')}` : '';
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_EVERY_MS));
    }
  };

  return {
    runtime,
    sim,
    notices,
    waitForSession: (state, timeoutMs = 15_000) =>
      waitFor(
        `session state ${state}`,
        async () => {
          const record = await runtime.sessions.get(runtime.account);
          return record?.state === state ? record : undefined;
        },
        timeoutMs,
      ),
    inject: (message) => sim.injectMessage(message),
    waitForSent: (match, timeoutMs = 15_000) =>
      waitFor('a message the bot sent', () => sim.sent().find(match), timeoutMs),
    sendApi: (body, headers = {}) =>
      fetch(`${runtime.sendApiUrl}/v1/messages`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${runtime.apiToken}`,
          'content-type': 'application/json',
          ...headers,
        },
        body: JSON.stringify(body),
      }),
    close: () => runtime.close(),
  };
}
