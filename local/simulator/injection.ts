/**
 * Putting events in a session queue on a test's behalf: chat messages from a named person in a
 * named conversation, and the other poll_types. Names are resolved against the world, ids against
 * the account's current session.
 */
import type { SimulatorCore } from './core.ts';
import {
  CHAT_POLL_TYPES,
  discuMessageValue,
  friendMessageValue,
  groupMessageValue,
  NOTICE_BUILDERS,
  type QueuedEvent,
} from './events.ts';
import {
  arrayAt,
  type JsonObject,
  objectAt,
  oneOf,
  onlyKeys,
  optional,
  qqAt,
  SimulatorControlError,
  SimulatorInputError,
  stringAt,
} from './input.ts';
import { type ConversationRef, conversationKey, type Session } from './logins.ts';
import { type ContentItem, wireContent } from './wire-text.ts';
import type { Account } from './world.ts';

export interface MessageInput {
  type: 'friend' | 'group' | 'discussion';
  /** Nick, markname, card or QQ number of the sender. */
  from: string | number;
  group?: string;
  discussion?: string;
  text?: string;
  content?: Array<string | ['face', number]>;
  account?: number;
}

export interface EventInput {
  poll_type: string;
  account?: number;
  /** The person concerned (defaults to the first friend). */
  from?: string | number;
  /** The group concerned (defaults to the first group). */
  group?: string;
  text?: string;
  /** Fields that override the default value. */
  value?: Record<string, unknown>;
}

export interface InjectResult {
  queued: true;
  msgId: number;
  key: string;
  pollType: string;
  time: number;
}

interface Candidate {
  readonly qq: number;
  readonly names: readonly (string | undefined)[];
}

const MESSAGE_POLL_TYPE = { friend: 'message', group: 'group_message', discussion: 'discu_message' } as const;

export function injectMessage(core: SimulatorCore, raw: unknown): InjectResult {
  const input = objectAt(raw, 'message');
  onlyKeys(input, '', ['type', 'from', 'group', 'discussion', 'text', 'content', 'account', 'font']);
  const type = oneOf(input.type, 'type', ['friend', 'group', 'discussion'] as const);
  const items = contentOf(input);
  const font = optional(input, 'font', '', objectAt);
  if (input.from === undefined) throw new SimulatorInputError('from', 'is required');
  const { account, session } = sessionFor(core, input);
  const ids = session.ids;
  const time = Math.floor(core.now() / 1000);
  const toUin = account.qq;
  let ref: ConversationRef;
  let value: (msgId: number) => Record<string, unknown>;
  const content = wireContent(items, font);
  if (type === 'friend') {
    const qq = resolvePerson(friendCandidates(core, account), input.from, `friend of ${account.qq}`);
    ref = { kind: 'friend', qq };
    value = (msgId) => friendMessageValue({ content, msgId, time, toUin, fromUin: ids.uin(qq) });
  } else if (type === 'group') {
    const name = stringAt(input.group, 'group');
    const group = account.groups.find((g) => g.name === name);
    if (!group) throw notFound('unknown_group', `no group "${name}" for account ${account.qq}`);
    const candidates = group.members.map((m) => ({
      qq: m.qq,
      names: [...namesOf(core, account, m.qq), m.card],
    }));
    const qq = resolvePerson(candidates, input.from, `member of group "${name}"`);
    ref = { kind: 'group', name };
    value = (msgId) =>
      groupMessageValue({ content, msgId, time, toUin, gid: ids.group(group).gid, sendUin: ids.uin(qq) });
  } else {
    const name = stringAt(input.discussion, 'discussion');
    const d = account.discussions.find((x) => x.name === name);
    if (!d) throw notFound('unknown_discussion', `no discussion "${name}" for account ${account.qq}`);
    const candidates = d.members.map((qq) => ({ qq, names: namesOf(core, account, qq) }));
    const qq = resolvePerson(candidates, input.from, `member of discussion "${name}"`);
    ref = { kind: 'discussion', name };
    value = (msgId) =>
      discuMessageValue({ content, msgId, time, toUin, did: ids.did(d), sendUin: ids.uin(qq) });
  }
  session.login.state.touch(ref);
  return enqueue(core, session, MESSAGE_POLL_TYPE[type], conversationKey(ref), time, value, false);
}

export function injectEvent(core: SimulatorCore, raw: unknown): InjectResult {
  const input = objectAt(raw, 'event');
  onlyKeys(input, '', ['poll_type', 'account', 'from', 'group', 'text', 'value']);
  const pollType = stringAt(input.poll_type, 'poll_type');
  if ((CHAT_POLL_TYPES as readonly string[]).includes(pollType)) {
    throw new SimulatorInputError('poll_type', `inject ${pollType} through /_sim/messages`);
  }
  const builder = NOTICE_BUILDERS[pollType];
  const override = optional(input, 'value', '', objectAt);
  if (!builder && !override)
    throw new SimulatorInputError('value', `is required for an unknown poll_type "${pollType}"`);
  const { account, session } = sessionFor(core, input);
  const ids = session.ids;
  const fromQq =
    input.from === undefined
      ? account.friends[0]?.qq
      : resolvePerson(contactCandidates(core, account), input.from, `contact of ${account.qq}`);
  const groupName = optional(input, 'group', '', stringAt);
  const group =
    groupName === undefined ? account.groups[0] : account.groups.find((g) => g.name === groupName);
  if (!group && groupName !== undefined)
    throw notFound('unknown_group', `no group "${groupName}" for account ${account.qq}`);
  const memberQq = group?.members.find((m) =>
    input.from === undefined ? m.qq !== account.qq : m.qq === fromQq,
  )?.qq;
  const text = optional(input, 'text', '', stringAt) ?? '';
  const time = Math.floor(core.now() / 1000);
  const value = (msgId: number): Record<string, unknown> => ({
    ...builder?.({
      selfUin: account.qq,
      msgId,
      time,
      fromUin: fromQq === undefined ? 0 : ids.uin(fromQq),
      gid: group ? ids.group(group).gid : 0,
      code: group ? ids.group(group).code : 0,
      memberUin: memberQq === undefined ? 0 : ids.uin(memberQq),
      content: wireContent(text ? [text] : []),
    }),
    ...override,
  });
  return enqueue(core, session, pollType, `notice:${pollType}`, time, value, pollType === 'kick_message');
}

function enqueue(
  core: SimulatorCore,
  session: Session,
  pollType: string,
  conversation: string,
  time: number,
  value: (msgId: number) => Record<string, unknown>,
  endsSession: boolean,
): InjectResult {
  const msgId = session.nextMsgId(conversation);
  const event: QueuedEvent = { key: core.nextEventKey(), pollType, value: value(msgId), endsSession };
  core.hub.enqueue(session, event);
  core.log(`inject: ${pollType} for ${session.login.account.qq} (msg_id ${msgId})`);
  return { queued: true, msgId, key: event.key, pollType, time };
}

/** The account named by `account` (default: the first) and its live session; 409 when it has none. */
function sessionFor(core: SimulatorCore, input: JsonObject): { account: Account; session: Session } {
  const account = core.account(optional(input, 'account', '', qqAt));
  const session = core.liveSession(account.qq);
  if (!session) {
    throw new SimulatorControlError(
      409,
      'account_offline',
      `account ${account.qq} has no live session (login2)`,
    );
  }
  return { account, session };
}

function contentOf(input: JsonObject): ContentItem[] {
  if (input.text !== undefined && input.content !== undefined) {
    throw new SimulatorInputError('content', 'give text or content, not both');
  }
  if (input.text !== undefined) {
    if (typeof input.text !== 'string') throw new SimulatorInputError('text', 'must be a string');
    return [input.text];
  }
  if (input.content === undefined) throw new SimulatorInputError('text', 'text or content is required');
  return arrayAt(input.content, 'content').map((item, i): ContentItem => {
    if (typeof item === 'string') return item;
    if (
      Array.isArray(item) &&
      item.length === 2 &&
      item[0] === 'face' &&
      Number.isInteger(item[1]) &&
      item[1] >= 0
    ) {
      return ['face', item[1] as number];
    }
    throw new SimulatorInputError(`content[${i}]`, 'must be a string or ["face", N]');
  });
}

function namesOf(core: SimulatorCore, account: Account, qq: number): (string | undefined)[] {
  return [core.world.person(qq)?.nick, account.friends.find((f) => f.qq === qq)?.markname];
}

function friendCandidates(core: SimulatorCore, account: Account): Candidate[] {
  return account.friends.map((f) => ({ qq: f.qq, names: namesOf(core, account, f.qq) }));
}

function contactCandidates(core: SimulatorCore, account: Account): Candidate[] {
  const qqs = new Set([
    ...account.friends.map((f) => f.qq),
    ...account.groups.flatMap((g) => g.members.map((m) => m.qq)),
    ...account.discussions.flatMap((d) => d.members),
  ]);
  qqs.delete(account.qq);
  return [...qqs].map((qq) => ({ qq, names: namesOf(core, account, qq) }));
}

/** By QQ number, nick, markname or card; 404 when nobody matches, 400 when several do. */
function resolvePerson(candidates: readonly Candidate[], from: unknown, scope: string): number {
  if (typeof from !== 'string' && typeof from !== 'number') {
    throw new SimulatorInputError('from', 'must be a name or a QQ number');
  }
  const hits = new Set(
    candidates
      .filter((c) => String(c.qq) === String(from) || c.names.includes(String(from)))
      .map((c) => c.qq),
  );
  if (hits.size === 0) throw notFound('unknown_contact', `no ${scope} named "${from}"`);
  if (hits.size > 1)
    throw new SimulatorInputError('from', `"${from}" names ${hits.size} people; use a QQ number`);
  return [...hits][0] as number;
}

function notFound(code: string, reason: string): SimulatorControlError {
  return new SimulatorControlError(404, code, reason);
}
