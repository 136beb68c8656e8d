/**
 * The send function end to end: real API Gateway v2 events into `createHandler`, the real SmartQQ
 * sender, and the SmartQQ simulator on loopback. The session comes from a real QR login; the
 * stores are in memory (their DynamoDB versions are tested in test/integration/stores).
 * Every answer is checked against the OpenAPI document by `invoke`.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ContactsCache } from '../../../lib/pipeline/ports.ts';
import { smartQQSender } from '../../../lib/send-api/sender.ts';
import { type SmartQQClient, singleBaseHosts } from '../../../lib/smartqq/index.ts';
import type { SessionJson } from '../../../lib/smartqq/session.ts';
import type { Simulator } from '../../../local/simulator/index.ts';
import { MemorySessionStore } from '../../support/memory-ports.ts';
import {
  BEARER,
  type CapturedOutput,
  captureOutput,
  invoke,
  message,
  onlineRecord,
  type TestApi,
  testApi,
} from '../../support/send-api.ts';
import {
  control,
  counters,
  demoAccount,
  loggedInClient,
  nickOf,
  sent,
  startSim,
} from '../../support/sim-control.ts';

const ACCOUNT = String(demoAccount.qq);
const friend = demoAccount.friends[0];
const friendNick = nickOf(friend?.qq ?? 0);
const friendMarkname = friend?.markname ?? '';
const group = demoAccount.groups[0]?.name ?? '';
const discussion = demoAccount.discussions[0]?.name ?? '';

let sim: Simulator;
let session: SessionJson;
let contacts: Omit<ContactsCache, 'linkedAt'>;
let sessions: MemorySessionStore;
let api: TestApi;
let output: CapturedOutput;

/** The contacts cache the poller keeps after a login: names and this login's ids. */
async function contactsOf(client: SmartQQClient): Promise<Omit<ContactsCache, 'linkedAt'>> {
  const book = await client.loadContacts();
  return {
    fetchedAt: Date.now(),
    friends: book.friends.map((f) => ({
      uin: f.uin,
      nick: f.nick,
      ...(f.markname ? { markname: f.markname } : {}),
    })),
    groups: book.groups.map((g) => ({ gid: g.gid, code: g.code, name: g.name })),
    discussions: book.discussions.map((d) => ({ did: d.did, name: d.name })),
    members: {},
    selfUins: [client.session.tokens.uin],
    selfNick: demoAccount.nick,
  };
}

/** An API on the simulator sharing `sessions`; pacing off unless asked. */
function apiOnSim(sendIntervalMs = 0): TestApi {
  return testApi({
    account: ACCOUNT,
    sessions,
    sender: smartQQSender({ hosts: singleBaseHosts(sim.url) }),
    sendPace: { intervalMs: sendIntervalMs, burst: 1 },
  });
}

beforeAll(async () => {
  sim = await startSim();
  const client = await loggedInClient(sim);
  session = client.session.toJSON();
  contacts = await contactsOf(client);
  client.close();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  output = captureOutput();
  sessions = new MemorySessionStore();
  sessions.put(onlineRecord(ACCOUNT, session, contacts));
  api = apiOnSim();
  await control(sim, 'DELETE', 'faults');
  await control(sim, 'DELETE', 'sent');
  await control(sim, 'POST', 'reset-counters');
});
afterEach(() => output.stop());

const call = (request: Parameters<typeof invoke>[1], on: TestApi = api) => invoke(on.handler, request);

describe('sending through the simulator', () => {
  it('sends to a friend, a group and a discussion, by name and by current id', async () => {
    const ids = await control<{ groups: { name: string; gid: number }[] }>(sim, 'GET', 'contacts');
    const gid = ids.groups.find((g) => g.name === group)?.gid;
    expect((await call(message({ to: { name: friendMarkname }, text: 'hi /微笑' }))).body).toEqual({
      status: 'sent',
      parts: 1,
    });
    expect((await call(message({ type: 'group', to: { uin: gid }, text: 'hello group' }))).body).toEqual({
      status: 'sent',
      parts: 1,
    });
    expect(
      (await call(message({ type: 'discussion', to: { name: discussion.toUpperCase() }, text: 'plans?' })))
        .body,
    ).toEqual({ status: 'sent', parts: 1 });

    const log = await sent(sim);
    expect(log.map((m) => [m.type, m.text])).toEqual([
      ['friend', 'hi [微笑]'],
      ['group', 'hello group'],
      ['discussion', 'plans?'],
    ]);
    expect(log[0]?.to.name).toContain(friendNick);
    expect(log[1]?.to).toMatchObject({ name: group, id: gid });
    expect(log[2]?.to.name).toBe(discussion);
  });

  it('splits a long text into parts of at most 720 bytes, in order, with increasing msg_ids', async () => {
    const text = `${'长'.repeat(600)} ${'文'.repeat(600)}`;
    const answer = await call(message({ to: { name: friendNick }, text }));
    const log = await control<{ text: string; msgId: number }[]>(sim, 'GET', 'sent');
    expect(answer.body).toEqual({ status: 'sent', parts: log.length });
    expect(log.length).toBeGreaterThanOrEqual(Math.ceil(Buffer.byteLength(text) / 720));
    expect(
      log
        .map((m) => m.text)
        .join('')
        .replace(/\s/g, ''),
    ).toBe(text.replace(/\s/g, ''));
    const msgIds = log.map((m) => m.msgId);
    expect(msgIds).toEqual([...msgIds].sort((a, b) => a - b));
    expect(new Set(msgIds).size).toBe(msgIds.length);
  });

  it('answers 1202 as uncertain, with exactly one send and no resend', async () => {
    await control(sim, 'POST', 'faults', { endpoint: 'send_qun_msg2', retcode: 1202, delivered: true });
    const answer = await call(message({ type: 'group', to: { name: group }, text: 'maybe' }));
    expect(answer).toMatchObject({
      status: 200,
      body: { status: 'uncertain', retcode: 1202, partsSent: 0, parts: 1 },
    });
    const log = await control<{ retcode: number }[]>(sim, 'GET', 'sent');
    expect(log).toHaveLength(1);
    expect(log[0]?.retcode).toBe(1202);
    expect((await counters(sim)).sends).toBe(1);
  });

  it('Idempotency-Key: one send in the simulator, the same answer twice', async () => {
    const request = {
      ...message({ to: { name: friendMarkname }, text: 'once' }),
      headers: { ...BEARER, 'idempotency-key': 'job-7' },
    };
    const first = await call(request);
    const second = await call(request);
    expect(first.status).toBe(200);
    expect(second.raw).toBe(first.raw);
    expect(await sent(sim)).toHaveLength(1);
    expect((await counters(sim)).sends).toBe(1);
  });

  it('502 with the retcode when the simulator refuses the session', async () => {
    await control(sim, 'POST', 'faults', { endpoint: 'send_buddy_msg2', retcode: 100001 });
    const answer = await call(message({ to: { name: friendMarkname } }));
    expect(answer).toMatchObject({
      status: 502,
      body: { error: 'upstream', result: 'session_problem', retcode: 100001 },
    });
    expect(await sent(sim)).toHaveLength(0);
  });
});

describe('refusals make no upstream call', () => {
  /** `requests` counts every SmartQQ call the simulator served (not its control API). */
  const served = () => control<{ requests: number; sends: number }>(sim, 'GET', 'counters');

  async function expectNoUpstream(act: () => Promise<unknown>) {
    const before = await served();
    await act();
    const after = await served();
    expect(after.requests).toBe(before.requests);
    expect(after.sends).toBe(before.sends);
    expect(await sent(sim)).toHaveLength(0);
  }

  it('409 session_offline while the account needs a QR scan', async () => {
    sessions.put({
      account: ACCOUNT,
      state: 'needs_qr',
      stateSince: Date.parse('2025-03-01T09:30:00.000Z'),
      version: 12,
      reason: 'logged in elsewhere',
    });
    await expectNoUpstream(async () => {
      const answer = await call(message());
      expect(answer).toMatchObject({
        status: 409,
        body: { error: 'session_offline', state: 'needs_qr', since: '2025-03-01T09:30:00.000Z' },
      });
    });
  });

  it('429 with Retry-After while pacing forbids sending', async () => {
    const paced = apiOnSim(60_000);
    expect((await call(message({ to: { name: friendMarkname } }), paced)).status).toBe(200);
    await control(sim, 'DELETE', 'sent');
    await expectNoUpstream(async () => {
      const answer = await call(message({ to: { name: friendMarkname } }), paced);
      expect(answer.status).toBe(429);
      expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(59);
      expect(Number(answer.headers['retry-after'])).toBeLessThanOrEqual(60);
    });
  });

  it('401 with a wrong or missing token', async () => {
    await expectNoUpstream(async () => {
      expect((await call({ ...message(), headers: {} })).status).toBe(401);
      expect(
        (await call({ ...message(), headers: { authorization: 'Bearer not-the-token-at-all' } })).status,
      ).toBe(401);
    });
  });

  it('400 for bad bodies and an unknown account, 404 for an unknown recipient', async () => {
    await expectNoUpstream(async () => {
      const bodies: unknown[] = [
        'not json',
        { type: 'friend', to: { uin: 'x' }, text: 'hi' },
        { type: 'sms', to: { name: friendMarkname }, text: 'hi' },
        { type: 'friend', to: { name: friendMarkname }, text: '   ' },
        { type: 'friend', to: { name: friendMarkname }, text: 'x'.repeat(2001) },
        { type: 'friend', to: { name: friendMarkname }, text: 'hi', account: '99999' },
      ];
      for (const body of bodies) {
        const answer = await call({ method: 'POST', path: '/v1/messages', headers: BEARER, body });
        expect(answer.status, JSON.stringify(body).slice(0, 60)).toBe(400);
        expect(answer.body.field).toBeTruthy();
      }
      expect((await call(message({ to: { name: 'Nobody at all' } }))).status).toBe(404);
      expect((await call(message({ type: 'group', to: { name: friendMarkname } }))).status).toBe(404);
    });
  });
});

describe('reading', () => {
  it('GET /v1/contacts lists the ids the simulator uses in this session', async () => {
    const answer = await call({ method: 'GET', path: '/v1/contacts', headers: BEARER });
    const sim_ = await control<{
      friends: { nick: string; uin: number }[];
      discussions: { name: string; did: number }[];
    }>(sim, 'GET', 'contacts');
    expect(answer.status).toBe(200);
    const aliceInSim = sim_.friends.find((f) => f.nick === friendNick);
    expect(answer.body.friends).toContainEqual(
      expect.objectContaining({ nick: friendNick, uin: aliceInSim?.uin }),
    );
    expect(answer.body.discussions).toEqual([{ name: discussion, uin: sim_.discussions[0]?.did }]);
  });

  it('GET /v1/session shows the state and nothing of the session itself', async () => {
    const answer = await call({ method: 'GET', path: '/v1/session', headers: BEARER });
    expect(answer.body).toEqual({ account: ACCOUNT, state: 'online', since: expect.any(String) });
  });
});

describe('secrets', () => {
  it("never puts the session's cookies, ptwebqq, vfwebqq or psessionid in an answer or a log line", async () => {
    const jar = session.cookies as { cookies?: { key: string; value: string }[] };
    const cookieValues = (jar.cookies ?? []).map((c) => c.value).filter((v) => v.length >= 8);
    const secrets = [session.ptwebqq, session.vfwebqq, session.psessionid, ...cookieValues].filter(
      (s) => s !== '',
    );
    expect(secrets.length).toBeGreaterThanOrEqual(6);

    const answers: string[] = [];
    const keep = async (request: Parameters<typeof invoke>[1]) => answers.push((await call(request)).raw);
    await keep(message({ to: { name: friendMarkname } }));
    await keep(message({ type: 'group', to: { name: group } }));
    await control(sim, 'POST', 'faults', { endpoint: 'send_discu_msg2', retcode: 1202 });
    await keep(message({ type: 'discussion', to: { name: discussion } }));
    await control(sim, 'POST', 'faults', { endpoint: 'send_buddy_msg2', retcode: 100012 });
    await keep(message({ to: { name: friendMarkname } }));
    await control(sim, 'POST', 'faults', { endpoint: 'send_buddy_msg2', malformed: true });
    await keep(message({ to: { name: friendMarkname } }));
    await keep({ method: 'GET', path: '/v1/session', headers: BEARER });
    await keep({ method: 'GET', path: '/v1/contacts', headers: BEARER });
    expect(answers.map((a) => JSON.parse(a).status ?? JSON.parse(a).result ?? 'read')).toEqual([
      'sent',
      'sent',
      'uncertain',
      'session_problem',
      'uncertain',
      'read',
      'read',
    ]);

    const everything = [...answers, ...output.lines].join('\n');
    expect(output.lines.length).toBeGreaterThanOrEqual(5);
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });
});
