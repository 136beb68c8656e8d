/**
 * A logged-in SmartQQ session: the cookie jar plus the tokens login handed out. It serialises to
 * plain JSON and back (it lives in DynamoDB between Lambda invocations).
 */
import { Cookie, CookieJar } from 'tough-cookie';
import { z } from 'zod';
import { SmartQQProtocolError } from './errors.ts';

export interface SessionTokens {
  /** Rotated by the server with retcode 116; kept here and in the jar's cookie. */
  ptwebqq: string;
  vfwebqq: string;
  psessionid: string;
  /** The account's QQ number as login2 reports it. */
  uin: number;
  /** When login2 last succeeded (ms since epoch). */
  linkedAt: number;
}

const sessionJsonSchema = z.object({
  v: z.literal(1),
  cookies: z.record(z.string(), z.unknown()),
  ptwebqq: z.string(),
  vfwebqq: z.string(),
  psessionid: z.string(),
  uin: z.number().int().nonnegative(),
  linkedAt: z.number(),
  msgIdSeq: z.number().int().nonnegative(),
});

export type SessionJson = z.infer<typeof sessionJsonSchema>;

export class Session {
  constructor(
    readonly jar: CookieJar,
    public tokens: SessionTokens,
    /** The `seq` of the web client's msg_id formula; persisted so ids keep increasing across restarts. */
    public msgIdSeq = 0,
  ) {}

  toJSON(): SessionJson {
    return {
      v: 1,
      cookies: this.jar.serializeSync() as unknown as Record<string, unknown>,
      ...this.tokens,
      msgIdSeq: this.msgIdSeq,
    };
  }

  static fromJSON(json: unknown): Session {
    const parsed = sessionJsonSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.join('.') || '(root)';
      throw new SmartQQProtocolError('session', `saved session is invalid at ${where}: ${issue?.message}`);
    }
    const { cookies, msgIdSeq, v: _v, ...tokens } = parsed.data;
    let jar: CookieJar;
    try {
      jar = CookieJar.deserializeSync(cookies as unknown as string);
    } catch {
      throw new SmartQQProtocolError('session', 'saved session has an unreadable cookie jar');
    }
    return new Session(jar, tokens, msgIdSeq);
  }

  /**
   * Stores a ptwebqq rotated by retcode 116, in the tokens and in the cookie of the same name
   * (wherever the server had set it), so both the `r` bodies and the Cookie header carry the new one.
   */
  async rotatePtwebqq(ptwebqq: string): Promise<void> {
    this.tokens = { ...this.tokens, ptwebqq };
    const all = await this.jar.store.getAllCookies();
    for (const cookie of all) {
      if (cookie.key !== 'ptwebqq') continue;
      const updated = Cookie.fromJSON(cookie.toJSON());
      if (!updated) continue;
      updated.value = ptwebqq;
      await this.jar.store.updateCookie(cookie, updated);
    }
  }
}
