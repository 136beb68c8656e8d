/**
 * The short-lived signed link to the login page (`POST /v1/accounts/{account}/login`): a phone can
 * open it without the API token, and it opens only that account's QR, only for a few minutes.
 *
 * A link token is `<payload>.<signature>`, both base64url: the payload is `{"a":account,"e":expiry
 * in ms}`, the signature an HMAC-SHA256 of the payload's text with a key derived from the API token
 * (so rotating the token ends every link given out, and no other secret is needed).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long a login link opens the page: enough to take out a phone and scan two QR codes. */
export const LOGIN_LINK_TTL_MS = 15 * 60_000;

export interface LoginLink {
  readonly token: string;
  readonly account: string;
  readonly expiresAt: number;
}

/** Why a link token does not open the page (the page says so; nothing else is told). */
export type LoginLinkProblem = 'malformed' | 'bad_signature' | 'expired';

export class LoginLinkError extends Error {
  override readonly name = 'LoginLinkError';
  constructor(readonly problem: LoginLinkProblem) {
    super(
      problem === 'expired'
        ? 'this login link has expired: ask for a new one'
        : 'this login link is not valid: ask for a new one',
    );
  }
}

/** The signing key for links, from the API token: one key per token, never the token itself. */
export function loginLinkKey(apiToken: string): Buffer {
  return createHmac('sha256', apiToken).update('qq-bot login link v1').digest();
}

export function signLoginLink(account: string, nowMs: number, key: Buffer): LoginLink {
  const expiresAt = nowMs + LOGIN_LINK_TTL_MS;
  const payload = Buffer.from(JSON.stringify({ a: account, e: expiresAt }), 'utf8').toString('base64url');
  return { token: `${payload}.${signature(payload, key)}`, account, expiresAt };
}

/** The account a link token opens, or `LoginLinkError` saying why not. */
export function verifyLoginLink(token: string, nowMs: number, key: Buffer): LoginLink {
  const match = /^([A-Za-z0-9_-]{1,400})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) throw new LoginLinkError('malformed');
  const [, payload = '', given = ''] = match;
  const expected = signature(payload, key);
  if (!timingSafeEqual(Buffer.from(given), Buffer.from(expected))) throw new LoginLinkError('bad_signature');
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new LoginLinkError('malformed');
  }
  const { a, e } = (claims ?? {}) as { a?: unknown; e?: unknown };
  if (typeof a !== 'string' || typeof e !== 'number') throw new LoginLinkError('malformed');
  if (e <= nowMs) throw new LoginLinkError('expired');
  return { token, account: a, expiresAt: e };
}

function signature(payload: string, key: Buffer): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}
