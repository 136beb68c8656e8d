import { describe, expect, it } from 'vitest';
import {
  type Admission,
  type AdmissionVerdict,
  asReceived,
  type ConversationGuard,
  type CooldownGate,
  echoForms,
  loadRuleSet,
  planReplies,
  type RuleInput,
} from '../../../lib/rules/index.ts';
import { message, ruleInput } from './factories.ts';

/** In-memory stand-ins for the DynamoDB guard stores (same contract). */
class MemoryCooldowns implements CooldownGate {
  readonly until = new Map<string, number>();
  async tryAcquire(key: string, seconds: number, nowMs: number): Promise<boolean> {
    if ((this.until.get(key) ?? 0) > nowMs) return false;
    this.until.set(key, nowMs + seconds * 1000);
    return true;
  }
  async release(key: string): Promise<void> {
    this.until.delete(key);
  }
}

/** The conversation guard's echo rules (its breaker is off here; the DynamoDB one has its own tests). */
class MemoryGuard implements ConversationGuard {
  readonly texts = new Map<string, number>();
  readonly lastReply = new Map<string, number>();
  admissions = 0;
  async admit(a: Admission): Promise<AdmissionVerdict> {
    this.admissions++;
    if ((this.texts.get(`${a.conversation}|${a.incoming}`) ?? Number.NEGATIVE_INFINITY) >= a.nowMs - 600_000)
      return { admitted: false, reason: 'echo_of_recent_reply' };
    if (
      !a.senderListed &&
      (this.lastReply.get(a.conversation) ?? Number.NEGATIVE_INFINITY) >= a.nowMs - 120_000
    )
      return { admitted: false, reason: 'own_echo' };
    for (const text of a.replies) this.texts.set(`${a.conversation}|${text}`, a.nowMs);
    this.lastReply.set(a.conversation, a.nowMs);
    return { admitted: true };
  }
}

function setup(...rules: RuleInput[]) {
  const { ruleSet } = loadRuleSet(rules);
  const guards = {
    cooldowns: new MemoryCooldowns(),
    conversation: new MemoryGuard(),
    breakerPace: { intervalMs: 0, burst: 1 },
    breakerHoldMs: 0,
    selfUins: new Set([999]),
    senderListed: true,
    messageKey: 'message-1',
  };
  return { ruleSet, guards };
}

const ids = (plan: { replies: readonly { rule: { id: string } }[] }) => plan.replies.map((r) => r.rule.id);

describe('loop guards', () => {
  it('never answers the bot’s own messages (its uin or its group echo send_uin)', async () => {
    const { ruleSet, guards } = setup(ruleInput());
    const plan = await planReplies(ruleSet, message({ senderUin: 999 }), guards, 0);
    expect(plan).toEqual({ replies: [], skipped: [{ reason: 'own_message' }] });
  });

  it('never answers a message that is one of its recent replies in that chat, faces included', async () => {
    const { ruleSet, guards } = setup(
      ruleInput({ id: 'echo', match: 'contains', pattern: 'hi', replies: ['hi /微笑'] }),
    );
    const group = { chatType: 'group' as const, chatName: 'Hiking Club' };
    const first = await planReplies(ruleSet, message({ ...group, text: 'hi' }), guards, 0);
    expect(ids(first)).toEqual(['echo']);
    // The echo comes back with an unknown send_uin, its face decoded as [微笑]: not answered.
    const echo = await planReplies(
      ruleSet,
      message({ ...group, senderUin: 5555, text: 'hi [微笑]' }),
      guards,
      1000,
    );
    expect(echo.skipped).toEqual([{ reason: 'echo_of_recent_reply' }]);
    // The same text in another chat is a person talking, not an echo.
    const elsewhere = await planReplies(
      ruleSet,
      message({ chatType: 'group', chatName: 'Tea & Code', text: 'hi [微笑]' }),
      guards,
      1000,
    );
    expect(ids(elsewhere)).toEqual(['echo']);
    // After the guard window, the text is no longer treated as an echo.
    const later = await planReplies(ruleSet, message({ ...group, text: 'hi [微笑]' }), guards, 11 * 60_000);
    expect(ids(later)).toEqual(['echo']);
  });

  it('asReceived puts a reply and its echo in one form, whatever face id came back', () => {
    expect(asReceived(' a\r\n b /微笑 ')).toBe(asReceived('a b [微笑]'));
    expect(asReceived('a /微笑')).toBe(asReceived('a [表情]'));
    expect(asReceived('a /微笑')).toBe(asReceived('a [咖啡]'));
    expect(asReceived('a b')).not.toBe(asReceived('ab'));
    expect(asReceived('/not-a-face')).toBe('/not-a-face');
  });

  it('asReceived: entities, full-width brackets, unnamed face ids and zero-width characters as the echo has them', () => {
    expect(asReceived('天气 <city> & co /微笑')).toBe(asReceived('天气 &lt;city&gt; &amp; co [face:999]'));
    expect(asReceived('a <b>')).toBe(asReceived('a ＜b＞'));
    expect(asReceived('hi\u200b there')).toBe(asReceived('hi there'));
  });

  it('never answers an unlisted sender in a chat where it just replied: the server’s echo', async () => {
    const { ruleSet, guards } = setup(
      ruleInput({ id: 'loop', match: 'contains', pattern: 'loop', replies: ['loop again /微笑'] }),
    );
    const group = { chatType: 'group' as const, chatName: 'Hiking Club' };
    expect(ids(await planReplies(ruleSet, message({ ...group, text: 'loop' }), guards, 0))).toEqual(['loop']);
    // The echo, its text changed past recognition by the server, from a uin in no member list.
    const echo = await planReplies(
      ruleSet,
      message({ ...group, senderUin: 5555, text: 'loop again [?]' }),
      { ...guards, senderListed: false },
      5_000,
    );
    expect(echo.skipped).toEqual([{ reason: 'own_echo' }]);
    // An unlisted sender long after the bot spoke is someone new: answered.
    const newcomer = await planReplies(
      ruleSet,
      message({ ...group, senderUin: 6666, text: 'loop?' }),
      { ...guards, senderListed: false },
      3 * 60_000,
    );
    expect(ids(newcomer)).toEqual(['loop']);
  });

  it('remembers each part of a long reply, so each part’s echo is recognised', async () => {
    const long = `${'长'.repeat(300)} ${'文'.repeat(300)}`;
    const { ruleSet, guards } = setup(
      ruleInput({ id: 'long', match: 'exact', pattern: 'story', replies: [long] }),
      ruleInput({ id: 'any', priority: -1, match: 'regex', pattern: '.', replies: ['?'] }),
    );
    await planReplies(ruleSet, message({ text: 'story' }), guards, 0);
    const parts = echoForms(long);
    // 1,801 UTF-8 bytes: the whole reply, and the three messages of at most 720 bytes it is sent as.
    expect(parts).toHaveLength(1 + 3);
    for (const part of parts.slice(1)) {
      const echo = await planReplies(ruleSet, message({ senderUin: 5, text: part }), guards, 1_000);
      expect(echo.skipped).toEqual([{ reason: 'echo_of_recent_reply' }]);
    }
  });
});

describe('what the guards cost', () => {
  it('asks the conversation guard only about a message a rule would answer, once', async () => {
    const { ruleSet, guards } = setup(
      ruleInput({ id: 'a', stop: false, match: 'contains', pattern: 'hi', replies: ['a'] }),
      ruleInput({ id: 'b', stop: false, match: 'contains', pattern: 'hi', replies: ['b'] }),
    );
    await planReplies(ruleSet, message({ text: 'quiet' }), guards, 0);
    expect(guards.conversation.admissions).toBe(0);
    expect(ids(await planReplies(ruleSet, message({ text: 'hi' }), guards, 0))).toEqual(['a', 'b']);
    expect(guards.conversation.admissions).toBe(1);
  });

  it('gives back the cooldowns it took when the guard refuses, or fails', async () => {
    const { ruleSet, guards } = setup(ruleInput({ cooldownChatSeconds: 60 }));
    const refusing = { admit: async () => ({ admitted: false, reason: 'own_echo' }) as const };
    const plan = await planReplies(ruleSet, message(), { ...guards, conversation: refusing }, 0);
    expect(plan).toEqual({ replies: [], skipped: [{ reason: 'own_echo' }] });
    expect(guards.cooldowns.until.size).toBe(0);
    const failing = {
      admit: async (): Promise<AdmissionVerdict> => {
        throw new Error('DynamoDB unavailable');
      },
    };
    await expect(planReplies(ruleSet, message(), { ...guards, conversation: failing }, 0)).rejects.toThrow(
      'DynamoDB unavailable',
    );
    expect(guards.cooldowns.until.size).toBe(0);
    expect(ids(await planReplies(ruleSet, message(), guards, 1_000))).toEqual(['r1']);
  });
});

describe('cooldowns', () => {
  it('per chat: one answer per window in the same chat, others unaffected', async () => {
    const { ruleSet, guards } = setup(ruleInput({ cooldownChatSeconds: 30 }));
    expect(ids(await planReplies(ruleSet, message({ senderUin: 1 }), guards, 0))).toEqual(['r1']);
    const again = await planReplies(ruleSet, message({ senderUin: 2 }), guards, 10_000);
    expect(again).toEqual({ replies: [], skipped: [{ reason: 'cooldown', ruleId: 'r1' }] });
    expect(ids(await planReplies(ruleSet, message({ chatName: 'Bob & Co' }), guards, 10_000))).toEqual([
      'r1',
    ]);
    expect(ids(await planReplies(ruleSet, message({ senderUin: 2 }), guards, 31_000))).toEqual(['r1']);
  });

  it('per sender: another sender in the same group is answered', async () => {
    const { ruleSet, guards } = setup(ruleInput({ cooldownSenderSeconds: 60 }));
    const group = { chatType: 'group' as const, chatName: 'Hiking Club' };
    expect(ids(await planReplies(ruleSet, message({ ...group, senderUin: 1 }), guards, 0))).toEqual(['r1']);
    expect(ids(await planReplies(ruleSet, message({ ...group, senderUin: 1 }), guards, 1000))).toEqual([]);
    expect(ids(await planReplies(ruleSet, message({ ...group, senderUin: 2 }), guards, 1000))).toEqual([
      'r1',
    ]);
  });

  it('a stopping rule in cooldown still stops lower-priority rules (no fallback spam)', async () => {
    const { ruleSet, guards } = setup(
      ruleInput({ id: 'main', priority: 10, cooldownChatSeconds: 60 }),
      ruleInput({ id: 'fallback', priority: 0, match: 'contains', pattern: 'i', replies: ['?'] }),
    );
    expect(ids(await planReplies(ruleSet, message(), guards, 0))).toEqual(['main']);
    const plan = await planReplies(ruleSet, message(), guards, 1000);
    expect(plan).toEqual({ replies: [], skipped: [{ reason: 'cooldown', ruleId: 'main' }] });
  });

  it('takes the sender and chat cooldowns all or none: a sender refused by the chat cooldown keeps no cooldown', async () => {
    const { ruleSet, guards } = setup(ruleInput({ cooldownSenderSeconds: 60, cooldownChatSeconds: 10 }));
    const group = { chatType: 'group' as const, chatName: 'Hiking Club' };
    const a = { ...group, senderUin: 1 };
    const b = { ...group, senderUin: 2 };
    expect(ids(await planReplies(ruleSet, message(a), guards, 0))).toEqual(['r1']);
    // B asks while the chat cools down: refused, so B's own cooldown must not start.
    const refused = await planReplies(ruleSet, message(b), guards, 5_000);
    expect(refused).toEqual({ replies: [], skipped: [{ reason: 'cooldown', ruleId: 'r1' }] });
    expect([...guards.cooldowns.until.keys()].filter((key) => key.endsWith('|2'))).toEqual([]);
    // The chat cooldown is over, A's sender cooldown is not: A is refused, B (never answered) is answered.
    expect(ids(await planReplies(ruleSet, message(a), guards, 15_000))).toEqual([]);
    expect(ids(await planReplies(ruleSet, message(b), guards, 16_000))).toEqual(['r1']);
  });

  it('gives back the keys it took when the gate fails on a later one', async () => {
    const { ruleSet, guards } = setup(ruleInput({ cooldownSenderSeconds: 60, cooldownChatSeconds: 10 }));
    const failing: CooldownGate = {
      tryAcquire: async (key, seconds, nowMs) => {
        if (!key.endsWith('|111')) throw new Error('DynamoDB unavailable');
        return guards.cooldowns.tryAcquire(key, seconds, nowMs);
      },
      release: (key) => guards.cooldowns.release(key),
    };
    await expect(planReplies(ruleSet, message(), { ...guards, cooldowns: failing }, 0)).rejects.toThrow(
      'DynamoDB unavailable',
    );
    expect(guards.cooldowns.until.size).toBe(0);
    expect(ids(await planReplies(ruleSet, message(), guards, 1_000))).toEqual(['r1']);
  });

  it('non-stopping rules each get their own cooldown', async () => {
    const { ruleSet, guards } = setup(
      ruleInput({ id: 'a', stop: false, cooldownChatSeconds: 60 }),
      ruleInput({ id: 'b', stop: false }),
    );
    expect(ids(await planReplies(ruleSet, message(), guards, 0))).toEqual(['a', 'b']);
    expect(ids(await planReplies(ruleSet, message(), guards, 1000))).toEqual(['b']);
  });
});
