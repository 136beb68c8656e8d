import { beforeEach, describe, expect, it } from 'vitest';
import type { ContactsCache } from '../../../lib/pipeline/ports.ts';
import {
  IdempotencyInProgressError,
  IdempotencyKeyReusedError,
  PacingError,
  RecipientNotFoundError,
  SessionOfflineError,
  UpstreamSendError,
} from '../../../lib/send-api/errors.ts';
import type { SendRequest } from '../../../lib/send-api/request.ts';
import {
  answerFor,
  IDEMPOTENCY_CLAIM_SECONDS,
  IDEMPOTENCY_RESULT_SECONDS,
  type SendFlowDeps,
  sendMessage,
} from '../../../lib/send-api/send-message.ts';
import type { SessionJson } from '../../../lib/smartqq/session.ts';
import { MemoryIdempotencyStore, MemorySendPacing, MemorySessionStore } from '../../support/memory-ports.ts';
import { onlineRecord, type StubSender, stubSender } from '../../support/send-api.ts';

const ACCOUNT = '20001';
const session = {
  v: 1,
  cookies: {},
  ptwebqq: 'p',
  vfwebqq: 'v',
  psessionid: 's',
  uin: 20001,
  linkedAt: 5_000,
  msgIdSeq: 0,
} satisfies SessionJson;
const contacts: Omit<ContactsCache, 'linkedAt'> = {
  fetchedAt: 6_000,
  friends: [{ uin: 11, nick: 'Alice', markname: 'Ali' }],
  groups: [{ gid: 21, code: 91, name: 'Hiking Club' }],
  discussions: [{ did: 31, name: 'Weekend plans' }],
  members: {},
  selfUins: [20001],
  selfNick: 'DemoBot',
};
const toAli: SendRequest = { account: ACCOUNT, type: 'friend', to: { name: 'Ali' }, text: 'hello' };

let clock: number;
let sessions: MemorySessionStore;
let pacing: MemorySendPacing;
let idempotency: MemoryIdempotencyStore;
let sender: StubSender;
let deps: SendFlowDeps;

beforeEach(() => {
  clock = Date.parse('2025-03-01T12:00:00.000Z');
  sessions = new MemorySessionStore();
  sessions.put(onlineRecord(ACCOUNT, session, contacts));
  pacing = new MemorySendPacing();
  idempotency = new MemoryIdempotencyStore();
  sender = stubSender();
  deps = {
    sessions,
    pacing,
    idempotency,
    sender,
    sendPace: { intervalMs: 3_000, burst: 1 },
    now: () => clock,
  };
});

describe('sending', () => {
  it('sends the text to the resolved id on the stored session, and reports it sent', async () => {
    const report = await sendMessage(deps, toAli);
    expect(report).toMatchObject({
      outcome: { status: 'sent', parts: 1 },
      replayed: false,
      recipient: 'Ali (Alice)',
    });
    expect(sender.calls).toEqual([
      { account: ACCOUNT, session, target: { kind: 'friend', uin: 11 }, text: 'hello' },
    ]);
    expect(answerFor(report.outcome)).toEqual({ status: 'sent', parts: 1 });
  });

  it('reports 1202 as uncertain and does not send again', async () => {
    sender.answers.push({
      status: 'uncertain',
      retcode: 1202,
      reason: 'retcode 1202',
      partsSent: 0,
      parts: 1,
    });
    const report = await sendMessage(deps, { ...toAli, type: 'group', to: { name: 'Hiking Club' } });
    expect(answerFor(report.outcome)).toEqual({ status: 'uncertain', retcode: 1202, partsSent: 0, parts: 1 });
    expect(sender.calls).toHaveLength(1);
  });

  it('turns a session problem or a rejection into UpstreamSendError with the retcode', async () => {
    sender.answers.push(
      { status: 'session_problem', retcode: 100001, verdict: 'session_expired', partsSent: 0, parts: 1 },
      { status: 'rejected', retcode: 100006, reason: 'retcode 100006', partsSent: 1, parts: 2 },
    );
    deps = { ...deps, sendPace: { intervalMs: 0, burst: 1 } };
    const first = await sendMessage(deps, toAli);
    expect(() => answerFor(first.outcome)).toThrow(UpstreamSendError);
    expect(() => answerFor(first.outcome)).toThrow(
      expect.objectContaining({ result: 'session_problem', retcode: 100001 }),
    );
    const second = await sendMessage(deps, toAli);
    expect(() => answerFor(second.outcome)).toThrow(
      expect.objectContaining({ result: 'rejected', retcode: 100006, partsSent: 1, parts: 2 }),
    );
  });

  it('refuses to send while the session is not online, and touches nothing', async () => {
    sessions.put({
      account: ACCOUNT,
      state: 'needs_qr',
      stateSince: 1_234,
      version: 9,
      reason: 'session expired',
    });
    await expect(sendMessage(deps, toAli)).rejects.toThrow(SessionOfflineError);
    expect(sender.calls).toHaveLength(0);
    expect(pacing.calls).toBe(0);
  });

  it('takes no pacing slot for an unknown recipient', async () => {
    await expect(sendMessage(deps, { ...toAli, to: { name: 'Nobody' } })).rejects.toThrow(
      RecipientNotFoundError,
    );
    expect(pacing.calls).toBe(0);
    await sendMessage(deps, toAli);
    expect(sender.calls).toHaveLength(1);
  });
});

describe('pacing', () => {
  it('allows one message per interval and says how long to wait', async () => {
    await sendMessage(deps, toAli);
    clock += 1_200;
    const refused = await sendMessage(deps, toAli).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(PacingError);
    expect((refused as PacingError).retryAfterMs).toBe(1_800);
    clock += 1_800;
    await sendMessage(deps, toAli);
    expect(sender.calls).toHaveLength(2);
  });

  it('allows a burst, then one message per interval', async () => {
    deps = { ...deps, sendPace: { intervalMs: 3_000, burst: 3 } };
    for (let i = 0; i < 3; i++) await sendMessage(deps, toAli);
    const refused = await sendMessage(deps, toAli).catch((err: unknown) => err);
    expect((refused as PacingError).retryAfterMs).toBe(3_000);
    clock += 3_000;
    await sendMessage(deps, toAli);
    expect(sender.calls).toHaveLength(4);
  });

  it('is off with an interval of 0: the pacing store is not even asked', async () => {
    deps = { ...deps, sendPace: { intervalMs: 0, burst: 1 } };
    await sendMessage(deps, toAli);
    await sendMessage(deps, toAli);
    expect(sender.calls).toHaveLength(2);
    expect(pacing.calls).toBe(0);
  });
});

describe('Idempotency-Key', () => {
  it('sends once and gives the same outcome again for the same key and body, even once paced', async () => {
    sender.answers.push({
      status: 'uncertain',
      retcode: 1202,
      reason: 'retcode 1202',
      partsSent: 0,
      parts: 1,
    });
    const first = await sendMessage(deps, toAli, 'k1');
    const again = await sendMessage(deps, toAli, 'k1');
    expect(first.replayed).toBe(false);
    expect(again).toEqual({ outcome: first.outcome, replayed: true });
    expect(sender.calls).toHaveLength(1);
    expect(pacing.calls).toBe(1);
  });

  it('keys are per account and per key: another key sends again', async () => {
    deps = { ...deps, sendPace: { intervalMs: 0, burst: 1 } };
    await sendMessage(deps, toAli, 'k1');
    await sendMessage(deps, toAli, 'k2');
    expect(sender.calls).toHaveLength(2);
    expect([...idempotency.entries.keys()]).toEqual([`send|${ACCOUNT}|k1`, `send|${ACCOUNT}|k2`]);
  });

  it('refuses the same key with a different body', async () => {
    await sendMessage(deps, toAli, 'k1');
    await expect(sendMessage(deps, { ...toAli, text: 'hello!' }, 'k1')).rejects.toThrow(
      IdempotencyKeyReusedError,
    );
    await expect(sendMessage(deps, { ...toAli, to: { uin: 11 } }, 'k1')).rejects.toThrow(
      IdempotencyKeyReusedError,
    );
    expect(sender.calls).toHaveLength(1);
  });

  it('refuses a key whose first request is still in progress', async () => {
    let finish: () => void = () => {};
    sender.answers.push(
      () =>
        new Promise((resolve) => {
          finish = () => resolve({ status: 'sent', parts: 1 });
        }),
    );
    const first = sendMessage(deps, toAli, 'k1');
    await new Promise((resolve) => setImmediate(resolve));
    await expect(sendMessage(deps, toAli, 'k1')).rejects.toThrow(IdempotencyInProgressError);
    finish();
    expect((await first).outcome).toEqual({ status: 'sent', parts: 1 });
    expect((await sendMessage(deps, toAli, 'k1')).replayed).toBe(true);
    expect(sender.calls).toHaveLength(1);
  });

  it('gives the key back when the request is refused before sending, so a retry may send', async () => {
    sessions.put({ account: ACCOUNT, state: 'relinking', stateSince: 1, version: 4 });
    await expect(sendMessage(deps, toAli, 'k1')).rejects.toThrow(SessionOfflineError);
    expect(idempotency.calls.release).toBe(1);
    sessions.put(onlineRecord(ACCOUNT, session, contacts));
    await sendMessage(deps, toAli, 'k1');
    clock += 1_000;
    await expect(sendMessage(deps, toAli, 'k2')).rejects.toThrow(PacingError);
    clock += 2_000;
    await sendMessage(deps, toAli, 'k2');
    expect(sender.calls).toHaveLength(2);
  });

  it('replays an upstream failure as the same error without sending again', async () => {
    sender.answers.push({
      status: 'session_problem',
      retcode: 100012,
      verdict: 'session_expired',
      partsSent: 0,
      parts: 1,
    });
    const first = await sendMessage(deps, toAli, 'k1');
    const again = await sendMessage(deps, toAli, 'k1');
    expect(again.outcome).toEqual(first.outcome);
    expect(() => answerFor(again.outcome)).toThrow(
      expect.objectContaining({ result: 'session_problem', retcode: 100012 }),
    );
    expect(sender.calls).toHaveLength(1);
  });

  it('gives the key back when SmartQQ could not be reached at all: nothing went out, a retry sends', async () => {
    sender.answers.push({
      status: 'not_sent',
      reason: 'connection failed (ECONNREFUSED)',
      partsSent: 0,
      parts: 1,
    });
    await expect(sendMessage(deps, toAli, 'k1')).rejects.toThrow(
      expect.objectContaining({ name: 'UpstreamSendError', result: 'not_sent' }),
    );
    expect(idempotency.calls.release).toBe(1);
    // The attempt used its pacing turn (a connection was tried): the retry waits for the next.
    clock += 3_000;
    expect((await sendMessage(deps, toAli, 'k1')).outcome.status).toBe('sent');
    expect(sender.calls).toHaveLength(2);
  });

  it('keeps the claim when sending threw: the message may be out, so a retry must not send it', async () => {
    sender.answers.push(async () => {
      throw new Error('socket closed mid-answer');
    });
    await expect(sendMessage(deps, toAli, 'k1')).rejects.toThrow('socket closed mid-answer');
    expect(idempotency.calls.release).toBe(0);
    const again = await sendMessage(deps, toAli, 'k1');
    expect(again).toMatchObject({ replayed: true, outcome: { status: 'uncertain', partsSent: 0, parts: 1 } });
    clock += IDEMPOTENCY_CLAIM_SECONDS * 1000;
    expect((await sendMessage(deps, toAli, 'k1')).outcome.status).toBe('uncertain');
    expect(sender.calls).toHaveLength(1);
  });

  it('never sends again under a claim that lapsed (its request died after the claim): uncertain', async () => {
    // A first request that claimed the key and died (the process killed) before keeping an outcome.
    expect((await idempotency.claim(`send|${ACCOUNT}|k1`, IDEMPOTENCY_CLAIM_SECONDS, clock)).status).toBe(
      'new',
    );
    await expect(sendMessage(deps, toAli, 'k1')).rejects.toThrow(IdempotencyInProgressError);
    clock += IDEMPOTENCY_CLAIM_SECONDS * 1000;
    const late = await sendMessage(deps, toAli, 'k1');
    expect(late).toMatchObject({ replayed: true, outcome: { status: 'uncertain', partsSent: 0, parts: 1 } });
    expect((await sendMessage(deps, toAli, 'k1')).outcome.status).toBe('uncertain');
    expect(sender.calls).toHaveLength(0);
  });

  it('keeps the answer for a day', async () => {
    await sendMessage(deps, toAli, 'k1');
    clock += IDEMPOTENCY_RESULT_SECONDS * 1000 - 1;
    expect((await sendMessage(deps, toAli, 'k1')).replayed).toBe(true);
    clock += 1;
    expect((await sendMessage(deps, toAli, 'k1')).replayed).toBe(false);
    expect(sender.calls).toHaveLength(2);
  });

  it('still answers a sent message when its answer cannot be kept, and says so', async () => {
    const failure = new Error('DynamoDB unavailable');
    idempotency.complete = async () => {
      throw failure;
    };
    const report = await sendMessage(deps, toAli, 'k1');
    expect(report.outcome).toEqual({ status: 'sent', parts: 1 });
    expect(report.notRecorded).toBe(failure);
  });
});
