/**
 * What a consumer container keeps between messages: the session record (`SessionCache`) and one
 * SmartQQ client per stored session (`SmartQQClients`), with msg_ids that keep growing.
 */
import { CookieJar } from 'tough-cookie';
import { describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../../lib/pipeline/ports.ts';
import { SessionCache, SmartQQClients } from '../../../lib/pipeline/session-clients.ts';
import { singleBaseHosts } from '../../../lib/smartqq/endpoints.ts';
import { Session } from '../../../lib/smartqq/session.ts';

const ACCOUNT = '20001';

function countingStore() {
  const store = {
    reads: 0,
    version: 1,
    async get(account: string): Promise<SessionRecord> {
      store.reads += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { account, state: 'online', stateSince: 0, version: store.version };
    },
  };
  return store;
}

describe('SessionCache', () => {
  it('reads once for its time, one read for concurrent callers, and again once it is old', async () => {
    const store = countingStore();
    const cache = new SessionCache(store, 10_000);
    const [a, b] = await Promise.all([cache.get(ACCOUNT, 1_000), cache.get(ACCOUNT, 1_000)]);
    expect(a.record?.version).toBe(1);
    expect(b).toBe(a);
    expect((await cache.get(ACCOUNT, 10_999)).readAt).toBe(1_000);
    expect(store.reads).toBe(1);
    store.version = 2;
    expect((await cache.get(ACCOUNT, 11_000)).record?.version).toBe(2);
    expect(store.reads).toBe(2);
  });

  it('reads again when asked for a record newer than the one kept, or after forget', async () => {
    const store = countingStore();
    const cache = new SessionCache(store, 10_000);
    await cache.get(ACCOUNT, 1_000);
    expect((await cache.get(ACCOUNT, 1_500, 1_200)).readAt).toBe(1_500);
    cache.forget(ACCOUNT);
    await cache.get(ACCOUNT, 1_600);
    expect(store.reads).toBe(3);
  });
});

describe('SmartQQClients', () => {
  const session = (psessionid: string) => {
    const s = new Session(new CookieJar(), {
      ptwebqq: 'p',
      vfwebqq: 'v',
      psessionid,
      uin: 20001,
      linkedAt: 1,
    });
    return s.toJSON();
  };

  it('keeps one client per account while the stored session is the same, and a new one when it changes', () => {
    const clients = new SmartQQClients(singleBaseHosts('http://127.0.0.1:1'));
    try {
      const first = clients.clientFor(ACCOUNT, session('a'));
      expect(clients.clientFor(ACCOUNT, session('a'))).toBe(first);
      const relinked = clients.clientFor(ACCOUNT, session('b'));
      expect(relinked).not.toBe(first);
      expect(clients.clientFor('20002', session('b'))).not.toBe(relinked);
    } finally {
      clients.close();
    }
  });

  it('gives msg_ids that keep growing, across the web client formula’s wrap of seq', () => {
    const clients = new SmartQQClients(singleBaseHosts('http://127.0.0.1:1'));
    try {
      const client = clients.clientFor(ACCOUNT, session('a'));
      client.session.msgIdSeq = 9_997;
      const next = () => (client as unknown as { nextMsgId(): number }).nextMsgId();
      const ids = Array.from({ length: 6 }, next);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      expect(new Set(ids).size).toBe(6);
    } finally {
      clients.close();
    }
  });
});
