import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { CookieJar } from 'tough-cookie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContactsCache, type SessionRecord, VersionConflictError } from '../../../lib/pipeline/ports.ts';
import { Session } from '../../../lib/smartqq/session.ts';
import { clearLease, DynamoSessionStore } from '../../../lib/stores/session-store.ts';
import { startTestTables, type TestTables } from '../../support/dynamo.ts';

let dynamo: TestTables;
let store: DynamoSessionStore;

beforeAll(async () => {
  dynamo = await startTestTables('sessions');
  store = new DynamoSessionStore({ doc: dynamo.doc, tableName: dynamo.names.sessions });
});
afterAll(() => dynamo.close());

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
let accountCount = 0;
/** A QQ number no other test uses. */
const freshAccount = () => String(20_001 + accountCount++);

/** A logged-in session as the client saves it: a cookie jar with expiring and session cookies, and tokens. */
async function sessionJson() {
  const jar = new CookieJar();
  const now = new Date(T0);
  await jar.setCookie('ptwebqq=pt-secret; PATH=/; DOMAIN=qq.com;', 'https://ssl.ptlogin2.qq.com/ptqrlogin', {
    now,
  });
  await jar.setCookie(
    'p_skey=sk-secret; PATH=/; DOMAIN=web2.qq.com; Expires=Wed, 01 Apr 2099 00:00:00 GMT; HttpOnly',
    'https://ptlogin4.web2.qq.com/check_sig',
    { now },
  );
  await jar.setCookie('uin=o0020001; PATH=/', 'https://w.qq.com/', { now });
  return new Session(
    jar,
    { ptwebqq: 'pt-secret', vfwebqq: 'vf-secret', psessionid: 'ps-secret', uin: 20001, linkedAt: T0 },
    42,
  ).toJSON();
}

const contacts: ContactsCache = {
  fetchedAt: T0 + 5,
  linkedAt: T0,
  friends: [
    { uin: 3_001, nick: 'Ali', markname: '阿里' },
    { uin: 3_002, nick: '' },
  ],
  groups: [{ gid: 4_001, code: 5_001, name: 'Hiking Club' }],
  discussions: [{ did: 6_001, name: 'Weekend plans' }],
  members: { '4001': { '3001': 'Trail Boss', '3003': '' }, '6001': {} },
  selfUins: [20001, 7_001],
  selfNick: 'Bot',
};

describe('ensure and get', () => {
  it('creates a needs_qr record at version 1, and then returns the stored one', async () => {
    const account = freshAccount();
    expect(await store.get(account)).toBeUndefined();

    const created = await store.ensure(account, T0);
    expect(created).toStrictEqual({ account, state: 'needs_qr', stateSince: T0, version: 1 });
    expect(await store.get(account)).toStrictEqual(created);

    const online = await store.update(account, 1, { state: 'online', stateSince: T0 + 1 });
    expect(await store.ensure(account, T0 + 2)).toStrictEqual(online);
  });

  it('creates the record of an account whose lease came first, keeping it', async () => {
    const account = freshAccount();
    expect(await store.acquireLease(account, 'poller-a', T0 + 60_000, T0)).toBe(true);
    expect(await store.get(account)).toBeUndefined();

    expect(await store.ensure(account, T0)).toMatchObject({ state: 'needs_qr', version: 1 });
    expect(await store.acquireLease(account, 'poller-b', T0 + 60_000, T0 + 1)).toBe(false);
  });

  it('lets exactly one of many concurrent ensures create the record', async () => {
    const account = freshAccount();
    const records = await Promise.all([1, 2, 3, 4, 5].map((i) => store.ensure(account, T0 + i)));
    expect(new Set(records.map((r) => r.stateSince)).size).toBe(1);
    expect(records.every((r) => r.version === 1)).toBe(true);
  });
});

describe('update', () => {
  it('round-trips a full record exactly: the session JSON, the QR and the contacts', async () => {
    const account = freshAccount();
    await store.ensure(account, T0);
    const session = await sessionJson();
    const qr = { pngBase64: 'iVBORw0KGgo=', fetchedAt: T0, cookies: { qrsig: 'q-secret', empty: '' } };

    const updated = await store.update(account, 1, {
      state: 'online',
      stateSince: T0 + 10,
      reason: 'logged in',
      session,
      qr,
      contacts,
    });

    const expected: SessionRecord = {
      account,
      state: 'online',
      stateSince: T0 + 10,
      reason: 'logged in',
      version: 2,
      session,
      qr,
      contacts,
    };
    expect(updated).toStrictEqual(expected);
    const stored = await store.get(account);
    expect(stored).toStrictEqual(expected);
    // What the poller does with it: the client gets its cookies back.
    const restored = Session.fromJSON(stored?.session);
    expect(await restored.jar.getCookieString('https://s.web2.qq.com/api/x')).toBe(
      'ptwebqq=pt-secret; p_skey=sk-secret',
    );
  });

  it('stores the session, QR and contacts as DynamoDB maps', async () => {
    const account = freshAccount();
    await store.ensure(account, T0);
    await store.update(account, 1, { session: await sessionJson(), contacts });
    const { Item } = await dynamo.doc.send(
      new GetCommand({ TableName: dynamo.names.sessions, Key: { account } }),
    );
    expect(typeof Item?.session).toBe('object');
    expect(typeof Item?.contacts).toBe('object');
  });

  it('increments the version on every write and refuses a stale one with VersionConflictError', async () => {
    const account = freshAccount();
    await store.ensure(account, T0);
    const v2 = await store.update(account, 1, { state: 'scan_pending', stateSince: T0 + 1 });
    expect(v2.version).toBe(2);
    expect((await store.update(account, 2, {})).version).toBe(3);

    const stale = store.update(account, 2, { state: 'online' });
    await expect(stale).rejects.toBeInstanceOf(VersionConflictError);
    await expect(stale).rejects.toMatchObject({ name: 'VersionConflictError', account });
    expect(await store.get(account)).toMatchObject({ state: 'scan_pending', version: 3 });
  });

  it('refuses an update of an account that has no record', async () => {
    await expect(store.update(freshAccount(), 1, { state: 'online' })).rejects.toBeInstanceOf(
      VersionConflictError,
    );
  });

  it('removes the attributes set to undefined, and only those', async () => {
    const account = freshAccount();
    await store.ensure(account, T0);
    await store.update(account, 1, {
      state: 'scan_pending',
      reason: 'QR expired',
      qr: { pngBase64: 'x', fetchedAt: T0, cookies: {} },
    });

    const after = await store.update(account, 2, { state: 'online', reason: undefined, qr: undefined });

    expect(after).toStrictEqual({ account, state: 'online', stateSince: T0, version: 3 });
    const { Item } = await dynamo.doc.send(
      new GetCommand({ TableName: dynamo.names.sessions, Key: { account } }),
    );
    expect(Item).not.toHaveProperty('reason');
    expect(Item).not.toHaveProperty('qr');
  });

  it('lets exactly one of several concurrent updates of the same version through', async () => {
    for (let round = 0; round < 5; round++) {
      const account = freshAccount();
      await store.ensure(account, T0);
      const results = await Promise.allSettled(
        ['online', 'relinking', 'scan_pending', 'needs_qr'].map((state) =>
          store.update(account, 1, { state: state as SessionRecord['state'] }),
        ),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const lost of results.filter((r) => r.status === 'rejected')) {
        expect(lost.reason).toBeInstanceOf(VersionConflictError);
      }
      expect((await store.get(account))?.version).toBe(2);
    }
  });

  it('refuses a change of an attribute that is not session state, writing nothing', async () => {
    const account = freshAccount();
    await store.ensure(account, T0);
    const sneaky = { state: 'online', leaseOwner: 'me' } as unknown as Parameters<typeof store.update>[2];
    await expect(store.update(account, 1, sneaky)).rejects.toThrow(
      'a session change cannot set "leaseOwner"',
    );
    expect(await store.get(account)).toMatchObject({ state: 'needs_qr', version: 1 });
  });
});

describe('lease', () => {
  it('is held until it expires, renewed by its owner, and then free for another', async () => {
    const account = freshAccount();
    expect(await store.acquireLease(account, 'a', T0 + 60_000, T0)).toBe(true);
    expect(await store.acquireLease(account, 'b', T0 + 90_000, T0 + 30_000)).toBe(false);
    expect(await store.acquireLease(account, 'a', T0 + 120_000, T0 + 30_000)).toBe(true);
    expect(await store.acquireLease(account, 'b', T0 + 150_000, T0 + 90_000)).toBe(false);
    // Held up to and including leaseUntil, free after it.
    expect(await store.acquireLease(account, 'b', T0 + 180_000, T0 + 120_000)).toBe(false);
    expect(await store.acquireLease(account, 'b', T0 + 180_000, T0 + 120_001)).toBe(true);
    expect(await store.acquireLease(account, 'a', T0 + 200_000, T0 + 130_000)).toBe(false);
  });

  it('is given back only by its owner, and giving back a lease nobody holds is no error', async () => {
    const account = freshAccount();
    expect(await store.acquireLease(account, 'a', T0 + 60_000, T0)).toBe(true);
    await store.releaseLease(account, 'b');
    expect(await store.acquireLease(account, 'b', T0 + 60_000, T0 + 1)).toBe(false);

    await store.releaseLease(account, 'a');
    await store.releaseLease(account, 'a');
    await store.releaseLease(freshAccount(), 'a');
    expect(await store.acquireLease(account, 'b', T0 + 60_000, T0 + 2)).toBe(true);
  });

  it('is cleared whoever holds it by clearLease (the local runtime at start), the record untouched', async () => {
    const account = freshAccount();
    const record = await store.ensure(account, T0);
    expect(await store.acquireLease(account, 'gone', T0 + 60_000, T0, T0 + 900_000)).toBe(true);
    expect(await clearLease({ doc: dynamo.doc, tableName: dynamo.names.sessions }, account)).toBe(true);
    expect(await store.leaseEndsBy(account)).toBeUndefined();
    expect(await store.acquireLease(account, 'next', T0 + 60_000, T0 + 1)).toBe(true);
    expect(await store.get(account)).toEqual(record);
    // None held, or no such account: nothing to clear, and no item created.
    await store.releaseLease(account, 'next');
    expect(await clearLease({ doc: dynamo.doc, tableName: dynamo.names.sessions }, account)).toBe(false);
    const nobody = freshAccount();
    expect(await clearLease({ doc: dynamo.doc, tableName: dynamo.names.sessions }, nobody)).toBe(false);
    const { Item } = await dynamo.doc.send(
      new GetCommand({ TableName: dynamo.names.sessions, Key: { account: nobody } }),
    );
    expect(Item).toBeUndefined();
  });

  it('goes to exactly one of several concurrent pollers, free or expired', async () => {
    for (let round = 0; round < 20; round++) {
      const account = freshAccount();
      const owners = ['a', 'b', 'c', 'd'];
      const first = await Promise.all(owners.map((o) => store.acquireLease(account, o, T0 + 60_000, T0)));
      expect(first.filter(Boolean)).toHaveLength(1);
      const later = await Promise.all(
        owners.map((o) => store.acquireLease(account, `${o}2`, T0 + 180_000, T0 + 60_001)),
      );
      expect(later.filter(Boolean)).toHaveLength(1);
    }
  });

  it('is not session state: taking it neither bumps the version nor shows in the record', async () => {
    const account = freshAccount();
    await store.ensure(account, T0);
    expect(await store.acquireLease(account, 'a', T0 + 60_000, T0)).toBe(true);
    const record = await store.get(account);
    expect(record).toStrictEqual({ account, state: 'needs_qr', stateSince: T0, version: 1 });

    // A state change made by the version read before the lease was taken still goes through.
    expect((await store.update(account, 1, { state: 'scan_pending' })).version).toBe(2);
    await store.releaseLease(account, 'a');
    expect((await store.get(account))?.version).toBe(2);
  });
});
