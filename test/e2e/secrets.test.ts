/**
 * Secrets never reach a log line or an HTTP answer: the whole runtime at DEBUG level, through a
 * login, replies, a ptwebqq rotation and API calls, with every byte written to stdout/stderr
 * captured and searched for the session's secret values and the API token.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SessionRecord } from '../../lib/pipeline/ports.ts';
import { type E2eRuntime, startE2eRuntime } from './harness.ts';

let bot: E2eRuntime;
const captured: string[] = [];
const restore: (() => void)[] = [];

beforeAll(async () => {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    // Captured, not echoed: DEBUG output of the whole runtime would drown the test report.
    stream.write = ((chunk: unknown) => {
      captured.push(String(chunk));
      return true;
    }) as typeof stream.write;
    restore.push(() => {
      stream.write = write;
    });
  }
  bot = await startE2eRuntime({ handlerLogLevel: 'DEBUG' });
  await bot.waitForSession('online', 30_000);
}, 60_000);
afterAll(async () => {
  await bot?.close();
  for (const undo of restore) undo();
});

it('no secret of the session or the API token appears in any log line or answer', async () => {
  bot.inject({ type: 'friend', from: 'Alice', text: 'ping' });
  await bot.waitForSent((m) => m.text === 'pong');
  bot.sim.addFaults({ endpoint: 'poll2', retcode: 116 });
  bot.inject({ type: 'group', group: 'Hiking Club', from: 'Alice', text: '天气 上海' });
  await bot.waitForSent((m) => m.text.startsWith('上海'));
  const answers: string[] = [];
  for (const path of ['/v1/session', '/v1/contacts', '/v1/session/qr']) {
    const res = await fetch(`${bot.runtime.sendApiUrl}${path}`, {
      headers: { authorization: `Bearer ${bot.runtime.apiToken}` },
    });
    answers.push(await res.text());
  }
  const sent = await bot.sendApi({ type: 'friend', to: { name: 'Ali' }, text: 'hello' });
  answers.push(await sent.text());
  const bad = await bot.sendApi(
    { type: 'friend', to: { name: 'Ali' }, text: 'x' },
    { authorization: 'Bearer nope-nope-nope-nope' },
  );
  answers.push(await bad.text());

  const record = (await bot.runtime.sessions.get(bot.runtime.account)) as SessionRecord;
  const session = record.session;
  expect(session).toBeDefined();
  const cookies = ((session?.cookies ?? {}) as { cookies?: { key: string; value: string }[] }).cookies ?? [];
  const secrets = [
    session?.psessionid,
    session?.vfwebqq,
    session?.ptwebqq,
    bot.runtime.apiToken,
    ...cookies.filter((c) => c.value.length >= 8).map((c) => c.value),
  ].filter((s): s is string => typeof s === 'string' && s.length >= 8);
  expect(secrets.length).toBeGreaterThanOrEqual(6);
  // The handlers did log at DEBUG level: the check is not vacuous.
  expect(captured.join('').length).toBeGreaterThan(1_000);
  for (const secret of secrets) {
    expect(captured.join(''), 'a log line').not.toContain(secret);
    expect(answers.join('\n'), 'an HTTP answer').not.toContain(secret);
  }
});
