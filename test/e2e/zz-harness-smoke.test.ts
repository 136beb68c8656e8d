import { afterAll, beforeAll, expect, it } from 'vitest';
import { type E2eRuntime, startE2eRuntime } from './harness.ts';

let bot: E2eRuntime;
beforeAll(async () => {
  bot = await startE2eRuntime();
  await bot.waitForSession('online');
});
afterAll(() => bot.close());

it('answers a friend and sends through the API', async () => {
  const t0 = Date.now();
  bot.inject({ type: 'friend', from: 'Alice', text: 'ping' });
  const reply = await bot.waitForSent((s) => s.text === 'pong');
  console.log('reply after', Date.now() - t0, 'ms', reply.to);
  const res = await bot.sendApi({ type: 'group', to: { name: 'Hiking Club' }, text: 'hello group' });
  console.log(res.status, await res.text());
  expect(res.status).toBe(200);
  await bot.waitForSent((s) => s.text === 'hello group');
  const bad = await bot.sendApi(
    { type: 'group', to: { name: 'Hiking Club' }, text: 'x' },
    { authorization: 'Bearer nope' },
  );
  expect(bad.status).toBe(401);
  expect(bot.notices).toEqual([]);
});
