/**
 * The classic SmartQQ bot failure, closed: the server echoes the bot's own group and discussion
 * messages back through poll2 (since 2017-05), from a send_uin in no member list, faces as face
 * items. With a rule whose reply contains a face and matches the reply itself, the bot answers the
 * person once and never its own echo.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DynamoRuleStore } from '../../lib/stores/rule-store.ts';
import { startTranscript } from '../../local/runtime/transcript.ts';
import { type E2eRuntime, startE2eRuntime } from './harness.ts';

let bot: E2eRuntime;
const transcript: string[] = [];
const stopTranscript = startTranscript((line) => transcript.push(line)).close;

beforeAll(async () => {
  bot = await startE2eRuntime();
  await new DynamoRuleStore({ doc: bot.runtime.doc, tableName: bot.runtime.tables.rules }).put({
    account: '20001',
    id: 'loop',
    chatTypes: ['group', 'discussion'],
    match: 'contains',
    pattern: 'loop',
    replies: ['loop again /微笑'],
  });
  await bot.waitForSession('online', 30_000);
}, 60_000);
afterAll(async () => {
  stopTranscript();
  await bot?.close();
});

it('answers a self-matching rule once in a group and in a discussion, never its own echo', async () => {
  const settings = bot.sim.settings();
  expect(settings).toMatchObject({ era: { echo: true }, echoSendUin: 'virtual' });
  bot.inject({ type: 'group', group: 'Hiking Club', from: 'Alice', text: 'loop?' });
  bot.inject({ type: 'discussion', discussion: 'Weekend plans', from: 'Bob & Co', text: 'loop!' });

  await bot.waitForSent((m) => m.to.name === 'Weekend plans');
  await bot.waitForSent((m) => m.to.name === 'Hiking Club');
  // Several poll cycles (1 s holds): time for the echoes to come back and be (not) answered.
  await new Promise((resolve) => setTimeout(resolve, 6_000));

  const loops = bot.sim.sent().filter((m) => m.text.startsWith('loop again'));
  expect(loops.map((m) => `${m.type}:${m.to.name}:${m.text}`).sort()).toEqual([
    'discussion:Weekend plans:loop again [微笑]',
    'group:Hiking Club:loop again [微笑]',
  ]);
  expect(bot.sim.counters().eventsDelivered).toBeGreaterThanOrEqual(4);
  expect(transcript).toContain("[group Hiking Club] (the bot's own message, echoed) loop again [微笑]");
});
