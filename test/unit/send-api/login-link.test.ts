import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LOGIN_LINK_TTL_MS,
  LoginLinkError,
  loginLinkKey,
  signLoginLink,
  verifyLoginLink,
} from '../../../lib/send-api/login-link.ts';

const KEY = loginLinkKey('the-api-token-0123456789abcdef');
const NOW = 1_800_000_000_000;

function problem(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (err) {
    if (err instanceof LoginLinkError) return err.problem;
    throw err;
  }
}

describe('login links', () => {
  it('opens the account it was made for until it expires, and not after', () => {
    const link = signLoginLink('20001', NOW, KEY);
    expect(link.expiresAt).toBe(NOW + LOGIN_LINK_TTL_MS);
    expect(verifyLoginLink(link.token, NOW + LOGIN_LINK_TTL_MS - 1, KEY).account).toBe('20001');
    expect(problem(() => verifyLoginLink(link.token, NOW + LOGIN_LINK_TTL_MS, KEY))).toBe('expired');
  });

  it('holds neither the API token nor the key', () => {
    const token = 'the-api-token-0123456789abcdef';
    const link = signLoginLink('20001', NOW, loginLinkKey(token));
    const decoded = Buffer.from(link.token.split('.')[0] ?? '', 'base64url').toString('utf8');
    expect(decoded).toBe(`{"a":"20001","e":${NOW + LOGIN_LINK_TTL_MS}}`);
    expect(link.token).not.toContain(token);
    expect(link.token).not.toContain(loginLinkKey(token).toString('base64url'));
  });

  it('is refused with another key (the API token rotated)', () => {
    const link = signLoginLink('20001', NOW, KEY);
    expect(problem(() => verifyLoginLink(link.token, NOW, loginLinkKey('another-token-0123456789')))).toBe(
      'bad_signature',
    );
  });

  it('is refused when any character of it changes (another account, a later expiry)', () => {
    const link = signLoginLink('20001', NOW, KEY);
    fc.assert(
      fc.property(fc.nat({ max: link.token.length - 1 }), fc.constantFrom(...'AbZ09_-.x'), (at, ch) => {
        fc.pre(link.token[at] !== ch);
        const changed = `${link.token.slice(0, at)}${ch}${link.token.slice(at + 1)}`;
        expect(problem(() => verifyLoginLink(changed, NOW, KEY))).toMatch(/^(malformed|bad_signature)$/);
      }),
    );
    // A payload for another account, signed with no key: refused.
    const forged = Buffer.from(JSON.stringify({ a: '30002', e: NOW + 1e9 })).toString('base64url');
    expect(problem(() => verifyLoginLink(`${forged}.${link.token.split('.')[1]}`, NOW, KEY))).toBe(
      'bad_signature',
    );
  });

  it('says malformed for anything that is not a token', () => {
    for (const token of ['', 'abc', 'a.b', `${'x'.repeat(500)}.${'y'.repeat(43)}`, '../etc/passwd']) {
      expect(
        problem(() => verifyLoginLink(token, NOW, KEY)),
        token,
      ).toBe('malformed');
    }
  });
});
