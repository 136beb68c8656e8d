/**
 * End to end through the local runtime (`npm start`'s wiring: the real handlers, dynalite, fauxqs,
 * the SQS event source, the HTTP API) and the SmartQQ simulator with the demo world and rules.
 */
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboundMessage, SessionRecord } from '../../lib/pipeline/ports.ts';
import { createLambdaContext } from '../../local/runtime/lambda-context.ts';
import { scheduledEvent } from '../../local/runtime/schedule.ts';
import { type E2eRuntime, startE2eRuntime } from './harness.ts';

let bot: E2eRuntime;
let online: SessionRecord;

beforeAll(async () => {
  bot = await startE2eRuntime();
  online = await bot.waitForSession('online', 30_000);
}, 60_000);
afterAll(async () => {
  await bot?.close();
});

/** A friend message from Alice, as the poller would publish it for the current login. */
function fromAlice(key: string, msgId: number): InboundMessage {
  const alice = online.contacts?.friends.find((f) => f.nick === 'Alice');
  return {
    key,
    account: bot.runtime.account,
    conversation: `${bot.runtime.account}-friend-${alice?.uin}`,
    chatType: 'friend',
    chatId: alice?.uin ?? 0,
    chatName: 'Ali',
    senderUin: alice?.uin ?? 0,
    senderName: 'Ali',
    senderNick: 'Alice',
    text: 'ping',
    msgId,
    time: Math.floor(Date.now() / 1000),
    linkedAt: online.contacts?.linkedAt ?? 0,
    receivedAt: Date.now(),
  };
}

const sentTo = (name: string, text: string) => (m: { to: { name: string }; text: string }) =>
  m.to.name === name && m.text === text;

describe('auto-replies', () => {
  it('a friend, a group and a discussion message each get the rule’s reply', async () => {
    bot.inject({ type: 'friend', from: 'Alice', text: 'ping' });
    bot.inject({ type: 'group', group: 'Hiking Club', from: 'Bob & Co', text: '天气 北京' });
    bot.inject({ type: 'discussion', discussion: 'Weekend plans', from: '小明', text: 'help' });
    await bot.waitForSent(sentTo('Alice', 'pong'));
    await bot.waitForSent(sentTo('Hiking Club', '北京的天气：晴 [微笑]'));
    const help = await bot.waitForSent((m) => m.to.name === 'Weekend plans');
    expect(help.type).toBe('discussion');
  });

  it('a redelivered inbound record does not send twice', async () => {
    const message = fromAlice(`e2e-redelivery-${Date.now()}`, 424242);
    const before = bot.sim.sent().length;
    // The same event twice, as a poller that published it twice would (distinct SQS dedup ids).
    for (const dedup of ['first', 'second']) {
      await bot.runtime.sqs.send(
        new SendMessageCommand({
          QueueUrl: bot.runtime.queues.inbound,
          MessageBody: JSON.stringify(message),
          MessageGroupId: message.conversation,
          MessageDeduplicationId: `${message.key}-${dedup}`,
        }),
      );
    }
    await bot.waitForSent((m, i = 0) => m.text === 'pong' && i >= 0 && bot.sim.sent().length > before);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const pongs = bot.sim
      .sent()
      .slice(before)
      .filter((m) => m.text === 'pong');
    expect(pongs).toHaveLength(1);
  });
});

describe('the consumer handler', () => {
  it('moves a poison record to the DLQ at once, with its reason, and still answers the good one', async () => {
    const { handler } = await import('../../functions/consumer/handler.ts');
    const good = fromAlice(`e2e-poison-neighbour-${Date.now()}`, 515151);
    const record = (messageId: string, body: string, group: string) => ({
      messageId,
      receiptHandle: `rh-${messageId}`,
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
        MessageGroupId: group,
        MessageDeduplicationId: messageId,
        SequenceNumber: '1',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:local-inbound.fifo',
      awsRegion: 'us-east-1',
    });
    const before = bot.sim.sent().length;
    const result = await handler(
      {
        Records: [
          record('poison', '{"not":"an inbound message"}', 'other-group'),
          record('good', JSON.stringify(good), good.conversation),
        ],
      },
      createLambdaContext(bot.runtime.functions.consumer),
    );
    expect(result).toEqual({ batchItemFailures: [] });
    const { Messages } = await bot.runtime.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: bot.runtime.queues.inboundDlq,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        WaitTimeSeconds: 1,
      }),
    );
    expect(
      (Messages ?? []).map((m) => ({
        body: m.Body,
        group: m.Attributes?.MessageGroupId,
        reason: m.MessageAttributes?.reason?.StringValue,
        source: m.MessageAttributes?.sourceMessageId?.StringValue,
      })),
    ).toEqual([
      {
        body: '{"not":"an inbound message"}',
        group: 'other-group',
        reason: expect.stringMatching(/^malformed inbound message: /),
        source: 'poison',
      },
    ]);
    expect(
      bot.sim
        .sent()
        .slice(before)
        .map((m) => m.text),
    ).toContain('pong');
  });
});

describe('the send API', () => {
  it('delivers to a friend, a group and a discussion by name', async () => {
    for (const [type, name] of [
      ['friend', 'Ali'],
      ['group', 'Tea & Code'],
      ['discussion', 'Weekend plans'],
    ] as const) {
      const text = `from the API to ${name}`;
      const res = await bot.sendApi({ type, to: { name }, text });
      expect(res.status, name).toBe(200);
      expect(await res.json()).toEqual({ status: 'sent', parts: 1 });
      await bot.waitForSent((m) => m.text === text && m.type === type);
    }
  });

  it('refuses a wrong token with 401 and sends nothing', async () => {
    const before = bot.sim.counters().sends;
    const res = await bot.sendApi(
      { type: 'friend', to: { name: 'Ali' }, text: 'x' },
      { authorization: 'Bearer wrong-token-wrong-token' },
    );
    expect(res.status).toBe(401);
    expect(bot.sim.counters().sends).toBe(before);
  });
});

describe('the poller', () => {
  it('two pollers racing for the account: at most one polls', async () => {
    const { handler } = await import('../../functions/poller/handler.ts');
    const invoke = async () =>
      (
        (await handler(
          scheduledEvent('e2e-race', new Date()),
          createLambdaContext(bot.runtime.functions.poller),
        )) as { accounts: Record<string, { status: string }> }
      ).accounts[bot.runtime.account] as { status: string };
    const results = await Promise.all([invoke(), invoke()]);
    // The scheduled invocation may hold the lease already: then both exit at once.
    expect(results.filter((r) => r.status === 'done').length).toBeLessThanOrEqual(1);
    expect(results.some((r) => r.status === 'lease_busy')).toBe(true);
  });

  it('absorbs a 116 mid-run: the new ptwebqq is stored and replies go on', async () => {
    const p = 'c'.repeat(64);
    bot.sim.addFaults({ endpoint: 'poll2', retcode: 116, p });
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    bot.inject({ type: 'friend', from: 'Alice', text: 'ping' });
    const before = bot.sim.sent().length;
    await bot.waitForSent(() =>
      bot.sim
        .sent()
        .slice(before)
        .some((m) => m.text === 'pong'),
    );
    // The fault was served (a 116 really happened), and the session carries the new ptwebqq.
    expect(bot.sim.faults()).toEqual([]);
    const record = await bot.runtime.sessions.get(bot.runtime.account);
    expect(record?.state).toBe('online');
    expect(record?.session?.ptwebqq).toBe(p);
  });

  it('a session that expires turns to needs_qr, and the send API answers 409', async () => {
    bot.sim.updateSettings({ autoScanAfterMs: null });
    bot.sim.expireSession();
    const record = await bot
      .waitForSession('needs_qr', 30_000)
      .catch(() => bot.waitForSession('scan_pending', 30_000));
    expect(record.reason ?? '').toMatch(/QR/);
    const res = await bot.sendApi({ type: 'friend', to: { name: 'Ali' }, text: 'are you there?' });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: 'session_offline' });
    expect(bot.sim.counters().eventsLost).toBe(0);
  });
});
