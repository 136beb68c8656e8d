import { describe, expect, it } from 'vitest';
import { PtuiCbError, parsePtuiCb } from '../../../lib/smartqq/ptui-cb.ts';
import { fixtureText as fixture } from '../../support/fixtures.ts';

describe('parsePtuiCb on the captured ptqrlogin bodies', () => {
  it('reads the waiting body (66)', () => {
    const cb = parsePtuiCb(fixture('verify_status_valid.txt'));
    expect(cb).toEqual({
      code: 66,
      url: '',
      message: '二维码未失效。(473959432)',
      nick: '',
      args: ['66', '0', '', '0', '二维码未失效。(473959432)', ''],
    });
  });

  it('reads the expired body (65)', () => {
    const cb = parsePtuiCb(fixture('verify_status_expired.txt'));
    expect(cb.code).toBe(65);
    expect(cb.message).toBe('二维码已失效。(4012918406)');
    expect(cb.url).toBe('');
    expect(cb.args).toHaveLength(6);
  });

  it('reads the success body (0) with the check_sig url and the nickname', () => {
    const cb = parsePtuiCb(fixture('verify_status_certified.txt'));
    expect(cb.code).toBe(0);
    expect(cb.message).toBe('登录成功！');
    expect(cb.nick).toBe('张三');
    expect(cb.url.startsWith('http://ptlogin4.web2.qq.com/check_sig?pttype=1&uin=123456789&')).toBe(true);
    expect(cb.url.endsWith('&pt_3rd_aid=0')).toBe(true);
    expect(new URL(cb.url).searchParams.get('s_url')).toBe(
      'http://w.qq.com/proxy.html?login2qq=1&webqq_type=10',
    );
  });
});

describe('parsePtuiCb tolerance', () => {
  it('accepts any spacing after commas and a `;\\r\\n` ending', () => {
    const cb = parsePtuiCb("ptuiCB('67','0','',  '0','二维码认证中。(1)',\t'');\r\n");
    expect(cb.code).toBe(67);
    expect(cb.message).toBe('二维码认证中。(1)');
    expect(cb.args).toEqual(['67', '0', '', '0', '二维码认证中。(1)', '']);
  });

  it('accepts no semicolon, surrounding whitespace and a BOM', () => {
    expect(parsePtuiCb("\uFEFF  ptuiCB('66','0','','0','m','n')  \n").nick).toBe('n');
  });

  it('unescapes backslash escapes inside arguments', () => {
    const cb = parsePtuiCb(
      String.raw`ptuiCB('0','0','http://x/?a=1','0','it\'s ok \\ \x41\u4e2d', 'O\'Neil');`,
    );
    expect(cb.message).toBe("it's ok \\ A中");
    expect(cb.nick).toBe("O'Neil");
  });

  it('keeps commas and parentheses that are inside quotes', () => {
    const cb = parsePtuiCb("ptuiCB('0','0','http://x/?a=(1),b','0','ok, fine (really)', 'a,b');");
    expect(cb.url).toBe('http://x/?a=(1),b');
    expect(cb.message).toBe('ok, fine (really)');
    expect(cb.nick).toBe('a,b');
  });

  it('accepts double-quoted arguments', () => {
    expect(parsePtuiCb('ptuiCB("65","0","","0","expired", "");').code).toBe(65);
  });

  it('gives empty strings for missing trailing arguments', () => {
    const cb = parsePtuiCb("ptuiCB('66','0');");
    expect(cb).toEqual({ code: 66, url: '', message: '', nick: '', args: ['66', '0'] });
  });
});

describe('parsePtuiCb errors', () => {
  it.each([
    ['an HTML error page', '<html><head><title>403 Forbidden</title></head><body>nginx</body></html>'],
    ['an empty body', ''],
    ['another callback', "ptui_qrcode_CB('1');"],
    ['JSON', '{"retcode":0}'],
  ])('rejects %s', (_label, body) => {
    expect(() => parsePtuiCb(body)).toThrow(PtuiCbError);
  });

  it.each([
    ['a truncated body', "ptuiCB('66','0", 'not a ptuiCB call'],
    ['an unterminated string', "ptuiCB('66','0);", 'unterminated string'],
    ['an unquoted argument', "ptuiCB('66',0,'');", 'not a quoted string'],
    ['a missing comma', "ptuiCB('66' '0');", 'expected a comma'],
    ['a non-numeric code', "ptuiCB('abc','0');", 'numeric code'],
    ['no arguments', 'ptuiCB();', 'numeric code'],
    ['a trailing comma', "ptuiCB('66',);", 'not a quoted string'],
  ])('rejects %s and says why', (_label, body, reason) => {
    expect(() => parsePtuiCb(body)).toThrow(reason);
  });

  it('names itself and quotes at most the first 40 characters of the body', () => {
    const body = `<html>${'x'.repeat(200)}SECRET-AT-THE-END</html>`;
    let caught: unknown;
    try {
      parsePtuiCb(body);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PtuiCbError);
    const error = caught as PtuiCbError;
    expect(error.name).toBe('PtuiCbError');
    expect(error.message).toContain('not a ptuiCB call');
    expect(error.message).toContain(body.slice(0, 40));
    expect(error.message).not.toContain(body.slice(0, 41));
    expect(error.message).not.toContain('SECRET');
  });
});
