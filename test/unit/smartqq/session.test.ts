import { CookieJar } from 'tough-cookie';
import { describe, expect, it } from 'vitest';
import { Session } from '../../../lib/smartqq/session.ts';

async function sample(): Promise<Session> {
  const jar = new CookieJar();
  await jar.setCookie('ptwebqq=old; PATH=/; DOMAIN=qq.com;', 'https://ssl.ptlogin2.qq.com/ptqrlogin');
  await jar.setCookie('p_skey=k; PATH=/; DOMAIN=web2.qq.com;', 'https://ptlogin4.web2.qq.com/check_sig');
  return new Session(jar, { ptwebqq: 'old', vfwebqq: 'vf', psessionid: 'ps', uin: 42, linkedAt: 1000 }, 7);
}

describe('Session', () => {
  it('round-trips through JSON text, cookie domains included', async () => {
    const session = await sample();
    const restored = Session.fromJSON(JSON.parse(JSON.stringify(session)));
    expect(restored.tokens).toEqual(session.tokens);
    expect(restored.msgIdSeq).toBe(7);
    expect(await restored.jar.getCookieString('https://s.web2.qq.com/api/x')).toBe('ptwebqq=old; p_skey=k');
    expect(await restored.jar.getCookieString('https://ssl.ptlogin2.qq.com/x')).toBe('ptwebqq=old');
  });

  it('rotatePtwebqq updates the token and the cookie on its own domain', async () => {
    const session = await sample();
    await session.rotatePtwebqq('new');
    expect(session.tokens.ptwebqq).toBe('new');
    expect(await session.jar.getCookieString('https://d1.web2.qq.com/channel/poll2')).toContain(
      'ptwebqq=new',
    );
    const all = await session.jar.store.getAllCookies();
    expect(all.filter((c) => c.key === 'ptwebqq').map((c) => c.domain)).toEqual(['qq.com']);
  });

  it('refuses invalid JSON naming the field', () => {
    expect(() => Session.fromJSON({ v: 2 })).toThrow(/at v/);
    expect(() =>
      Session.fromJSON({
        v: 1,
        cookies: {},
        ptwebqq: '',
        vfwebqq: '',
        psessionid: '',
        uin: -1,
        linkedAt: 0,
        msgIdSeq: 0,
      }),
    ).toThrow(/at uin/);
  });
});
