/**
 * The local schedule behaves like EventBridge + Lambda: every tick starts a poller invocation, the
 * invocation started near the holder's end waits and takes the lease over, and so the account is
 * polled without a gap across poller lifetimes (a message arriving between two pollers would
 * otherwise wait on the server until the next one).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Invocation } from '../../local/runtime/lambda-context.ts';
import { E2E_DEFAULTS, type E2eRuntime, startE2eRuntime } from './harness.ts';

const RATE_MS = 3_000;
/** Each invocation polls about 8 s of its 20 s (it keeps a whole poll plus publishing in reserve). */
const POLLER_TIMEOUT_MS = 20_000;
const SAMPLE_EVERY_MS = 20;

let bot: E2eRuntime;
const invocations: Invocation<unknown>[] = [];

beforeAll(async () => {
  bot = await startE2eRuntime({
    scheduleRateMs: RATE_MS,
    pollerTimeoutMs: POLLER_TIMEOUT_MS,
    onPollerInvocation: (invocation) => invocations.push(invocation),
  });
  await bot.waitForSession('online', 30_000);
}, 60_000);
afterAll(() => bot?.close());

/** The invocation polled the account at least once (its report: functions/poller/handler.ts). */
const pollerPolled = (i: Invocation<unknown>) =>
  i.outcome === 'success' &&
  ((i.result as { accounts: Record<string, { polls?: number }> }).accounts[bot.runtime.account]?.polls ?? 0) >
    0;

it('polls without a gap longer than one poll margin over three poller lifetimes', async () => {
  const account = Number(bot.runtime.account);
  const gaps: number[] = [];
  let gapSince: number | undefined;
  const startedWith = invocations.filter(pollerPolled).length;

  // Until three more invocations have polled and ended: each ended one handed over to the next.
  while (invocations.filter(pollerPolled).length < startedWith + 3) {
    const view = bot.sim.state().accounts.find((a) => a.qq === account);
    const now = performance.now();
    if (view?.polling) {
      if (gapSince !== undefined) gaps.push(now - gapSince);
      gapSince = undefined;
    } else {
      gapSince ??= now;
    }
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
  }

  const lifetimes = invocations.filter(pollerPolled).length - startedWith;
  expect(lifetimes).toBeGreaterThanOrEqual(3);
  expect(gaps.length).toBeGreaterThan(0);
  expect(Math.max(...gaps)).toBeLessThan(E2E_DEFAULTS.pollMarginMs);
  expect(bot.sim.counters().eventsLost).toBe(0);
}, 120_000);
