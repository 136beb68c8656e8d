import type { LookupFunction } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type QrStatus,
  realNamesOn,
  renderQrForTerminal,
  Session,
  SmartQQClient,
  singleBaseHosts,
} from '../../../lib/smartqq/index.ts';
import type { Simulator } from '../../../local/simulator/index.ts';
import {
  control,
  demoAccount,
  limitsFor,
  loggedInClient,
  nickOf,
  pollEvents,
  startSim,
} from '../../support/sim-control.ts';

const bot = demoAccount;

let sim: Simulator;
beforeAll(async () => {
  sim = await startSim();
});
afterAll(async () => {
  await sim.close();
});

describe('QR login against the simulator', () => {
  it('goes 66 → 67 → 0, hands the QR PNG to the caller, and links a session that can poll', async () => {
    const client = new SmartQQClient({ hosts: singleBaseHosts(sim.url), pollLimits: limitsFor(400) });
    const states: QrStatus['state'][] = [];
    let terminal = '';
    let looks = 0;
    const session = await client.loginWithQr({
      intervalMs: 10,
      onQr: (qr) => {
        terminal = renderQrForTerminal(qr.png);
      },
      onStatus: async (status) => {
        states.push(status.state);
        looks++;
        if (looks === 2) await control(sim, 'POST', 'qr', { action: 'scan' });
        if (looks === 4) await control(sim, 'POST', 'qr', { action: 'allow' });
      },
    });
    expect(states[0]).toBe('waiting');
    expect(states).toContain('scanned');
    expect(states.at(-1)).toBe('confirmed');
    expect(terminal.split('\n').length).toBeGreaterThan(10);
    expect(terminal).toContain('▀');
    expect(session.tokens.uin).toBe(bot.qq);
    expect(session.tokens.psessionid).toMatch(/^[0-9a-f]+$/);
    expect(session.tokens.vfwebqq).toMatch(/^[0-9a-f]{80}$/);
    // Registered by get_online_buddies2: the first poll is not a 103.
    const outcome = await client.poll({ budgetMs: client.pollNeedsMs });
    expect(outcome.kind).toBe('nothing_yet');
    client.close();
  });

  it('fetches a new QR after the first one expires (65)', async () => {
    const client = new SmartQQClient({ hosts: singleBaseHosts(sim.url) });
    let shown = 0;
    const states: string[] = [];
    await client.loginWithQr({
      intervalMs: 10,
      onStatus: (s) => states.push(s.state),
      onQr: async () => {
        shown++;
        if (shown === 1) {
          await control(sim, 'POST', 'qr', { action: 'expire' });
        } else {
          await control(sim, 'POST', 'qr', { action: 'scan' });
          await control(sim, 'POST', 'qr', { action: 'allow' });
        }
      },
    });
    expect(shown).toBe(2);
    expect(states[0]).toBe('expired');
    expect(client.session.tokens.psessionid).not.toBe('');
    client.close();
  });

  it('gives up with a clear error when no QR is ever allowed', async () => {
    const client = new SmartQQClient({ hosts: singleBaseHosts(sim.url) });
    await expect(
      client.loginWithQr({
        intervalMs: 5,
        maxQrCodes: 2,
        onQr: () => control(sim, 'POST', 'qr', { action: 'expire' }).then(() => undefined),
      }),
    ).rejects.toThrow(/no QR code was scanned and allowed \(2 shown\)/);
    client.close();
  });
});

describe('relink from a saved session', () => {
  it('restores a session from JSON (cookie jar included) and relinks without a QR', async () => {
    const first = await loggedInClient(sim);
    const saved = JSON.stringify(first.session.toJSON());
    const oldPsessionid = first.session.tokens.psessionid;
    first.close();

    const restored = Session.fromJSON(JSON.parse(saved));
    const client = new SmartQQClient({
      hosts: singleBaseHosts(sim.url),
      session: restored,
      pollLimits: limitsFor(400),
    });
    const result = await client.relink();
    expect(result).toEqual({ status: 'online' });
    expect(client.session.tokens.psessionid).not.toBe(oldPsessionid);

    const friend = nickOf(demoAccount.friends[0]?.qq ?? 0);
    await control(sim, 'POST', 'messages', { type: 'friend', from: friend, text: 'after relink' });
    const events = await pollEvents(client, 1);
    expect(events.map((e) => ('text' in e ? e.text : ''))).toContain('after relink');
    client.close();
  });

  it('answers needs_qr when the saved cookie jar lost the session cookies', async () => {
    const first = await loggedInClient(sim);
    const json = first.session.toJSON();
    first.close();
    const cookies = json.cookies as { cookies: { key: string }[] };
    cookies.cookies = cookies.cookies.filter((c) => !['p_skey', 'skey', 'uin'].includes(c.key));
    const client = new SmartQQClient({ hosts: singleBaseHosts(sim.url), session: Session.fromJSON(json) });
    const result = await client.relink();
    expect(result).toMatchObject({ status: 'needs_qr', endpoint: 'getvfwebqq' });
    client.close();
  });

  it('answers needs_qr once the server ended the login (session TTL)', async () => {
    const client = await loggedInClient(sim);
    await control(sim, 'POST', 'expire-session', {});
    const result = await client.relink();
    expect(result.status).toBe('needs_qr');
    client.close();
  });

  it('refuses a saved session that is not one, naming the field', () => {
    expect(() => Session.fromJSON({ v: 1, cookies: {}, ptwebqq: 'x' })).toThrow(/vfwebqq/);
    expect(() => Session.fromJSON('nope')).toThrow(/saved session is invalid/);
  });
});

describe('real host names resolved to 127.0.0.1', () => {
  const lookup = ((hostname: string, options: unknown, callback?: unknown) => {
    const cb = (typeof options === 'function' ? options : callback) as (...args: unknown[]) => void;
    if (!hostname.endsWith('qq.com')) return cb(new Error(`unexpected host ${hostname}`));
    const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
    if (all) return cb(null, [{ address: '127.0.0.1', family: 4 }]);
    return cb(null, '127.0.0.1', 4);
  }) as LookupFunction;

  it('keeps cookies on the domains the server set them for', async () => {
    const client = new SmartQQClient({
      hosts: realNamesOn('http', sim.port),
      lookup,
      pollLimits: limitsFor(400),
    });
    await client.loginWithQr({
      intervalMs: 10,
      onQr: async () => {
        await control(sim, 'POST', 'qr', { action: 'scan' });
        await control(sim, 'POST', 'qr', { action: 'allow' });
      },
    });
    const jar = client.session.jar;
    const all = await jar.store.getAllCookies();
    const domainOf = (key: string) => all.find((c) => c.key === key)?.domain;
    expect(domainOf('ptwebqq')).toBe('qq.com');
    expect(domainOf('p_skey')).toBe('web2.qq.com');
    expect(domainOf('qrsig')).toBe('ptlogin2.qq.com');
    const forPtlogin = await jar.getCookieString(`http://ssl.ptlogin2.qq.com:${sim.port}/ptqrlogin`);
    const forSweb2 = await jar.getCookieString(`http://s.web2.qq.com:${sim.port}/api/getvfwebqq`);
    expect(forPtlogin).not.toMatch(/\bp_skey=/);
    expect(forPtlogin).toMatch(/\bqrsig=/);
    expect(forSweb2).toMatch(/\bp_skey=/);
    expect(forSweb2).toMatch(/\bptwebqq=/);
    expect(forSweb2).not.toMatch(/\bqrsig=/);
    // The session works end to end on the real names: contacts and a poll.
    const friends = await client.getFriends();
    expect(friends.length).toBeGreaterThan(0);
    expect((await client.poll({ budgetMs: client.pollNeedsMs })).kind).toBe('nothing_yet');
    client.close();
  });
});
