/**
 * OneBot v11 actions, as far as SmartQQ can take them: pure of HTTP (`functions/send/onebot.ts`
 * turns a request into `runAction` and its result into the answer).
 *
 * Retcodes (the envelope's `retcode`; `status` is `ok`, `async` or `failed`):
 * - 0 ok; 1 async: accepted, but SmartQQ answered 1202 — probably delivered, never sent again;
 * - 100 a parameter is missing or wrong (`message` names it);
 * - 102 no such friend, group, discussion or member in the current login;
 * - 103 SmartQQ did not send it, or the session cannot send now (offline, paced, relinking);
 * - 104 a standard action or a segment SmartQQ cannot do (images, kicks, ...);
 * - 1404 not an action at all (also HTTP 404).
 */
import { groupKey } from '../pipeline/contacts-cache.ts';
import type { ContactsCache, MemberLists, SessionRecord } from '../pipeline/ports.ts';
import {
  AccountPausedError,
  ContactsUnavailableError,
  PacingError,
  RecipientNotFoundError,
  SessionOfflineError,
  UpstreamSendError,
} from '../send-api/errors.ts';
import { codePoints, MAX_TEXT_CHARS, type SendRequest } from '../send-api/request.ts';
import type { SendReport } from '../send-api/send-message.ts';
import { findByKey, type IdKind, type IdTable, idOf, keyOf, keysOf } from './ids.ts';
import { MessageFormatError, readMessageParam, toSendableText } from './message.ts';

export interface ActionResult {
  readonly status: 'ok' | 'async' | 'failed';
  readonly retcode: number;
  readonly data: unknown;
  readonly message?: string;
}

export interface ActionDeps {
  readonly account: string;
  readonly session: () => Promise<SessionRecord | undefined>;
  readonly memberLists: Pick<MemberLists, 'get'>;
  readonly ids: {
    read(account: string): Promise<IdTable>;
    ensure(account: string, want: Partial<Record<IdKind, readonly string[]>>): Promise<IdTable>;
  };
  /** Sends as the send API does: pacing, 1202 never resent (`lib/send-api/send-message.ts`). */
  readonly send: (request: SendRequest) => Promise<SendReport>;
}

export const SUPPORTED_ACTIONS = [
  'send_private_msg',
  'send_group_msg',
  'send_discuss_msg',
  'send_msg',
  'get_login_info',
  'get_friend_list',
  'get_group_list',
  'get_group_info',
  'get_group_member_list',
  'get_group_member_info',
  'get_status',
  'get_version_info',
  'can_send_image',
  'can_send_record',
] as const;

/** The rest of OneBot v11's standard actions: answered `failed` (104), never a 5xx. */
export const UNSUPPORTED_ACTIONS = [
  'delete_msg',
  'get_msg',
  'get_forward_msg',
  'send_like',
  'set_group_kick',
  'set_group_ban',
  'set_group_anonymous_ban',
  'set_group_whole_ban',
  'set_group_admin',
  'set_group_anonymous',
  'set_group_card',
  'set_group_name',
  'set_group_leave',
  'set_group_special_title',
  'set_friend_add_request',
  'set_group_add_request',
  'get_stranger_info',
  'get_group_honor_info',
  'get_cookies',
  'get_csrf_token',
  'get_credentials',
  'get_record',
  'get_image',
  'set_restart',
  'clean_cache',
] as const;

/** An action name without OneBot's `_async` / `_rate_limited` suffix, and whether it was async. */
export function baseAction(action: string): { name: string; async: boolean } {
  if (action.endsWith('_async')) return { name: action.slice(0, -'_async'.length), async: true };
  if (action.endsWith('_rate_limited'))
    return { name: action.slice(0, -'_rate_limited'.length), async: true };
  return { name: action, async: false };
}

export function isAction(action: string): boolean {
  const { name } = baseAction(action);
  return (
    (SUPPORTED_ACTIONS as readonly string[]).includes(name) ||
    (UNSUPPORTED_ACTIONS as readonly string[]).includes(name)
  );
}

class ActionError extends Error {
  constructor(
    readonly retcode: number,
    message: string,
  ) {
    super(message);
  }
}

const ok = (data: unknown): ActionResult => ({ status: 'ok', retcode: 0, data });

export async function runAction(
  action: string,
  params: Readonly<Record<string, unknown>>,
  deps: ActionDeps,
): Promise<ActionResult> {
  const { name, async } = baseAction(action);
  try {
    const result = await dispatch(name, params, deps);
    return async && result.status === 'ok' ? { ...result, status: 'async', retcode: 1, data: null } : result;
  } catch (err) {
    const failed = failureOf(err);
    if (failed) return failed;
    throw err;
  }
}

async function dispatch(
  name: string,
  params: Readonly<Record<string, unknown>>,
  deps: ActionDeps,
): Promise<ActionResult> {
  switch (name) {
    case 'get_version_info':
      return ok({ app_name: 'qq-bot-serverless', app_version: '0.1.0', protocol_version: 'v11' });
    case 'can_send_image':
    case 'can_send_record':
      return ok({ yes: false });
    case 'get_status': {
      const record = await deps.session();
      const online = record?.state === 'online';
      return ok({ online, good: online, state: record?.state ?? 'needs_qr' });
    }
    case 'get_login_info': {
      const record = await deps.session();
      return ok({ user_id: Number(deps.account), nickname: record?.contacts?.selfNick ?? '' });
    }
    case 'get_friend_list': {
      const { contacts } = await login(deps);
      const keys = keysOf(contacts.friends.map((f) => f.nick));
      const ids = await deps.ids.ensure(deps.account, { people: keys });
      return ok(
        contacts.friends.map((friend, i) => ({
          user_id: idOf(ids, 'people', keys[i]),
          nickname: friend.nick,
          remark: friend.markname ?? '',
        })),
      );
    }
    case 'get_group_list': {
      const { contacts } = await login(deps);
      const keys = keysOf(contacts.groups.map((g) => g.name));
      const ids = await deps.ids.ensure(deps.account, { groups: keys });
      const counts = await Promise.all(contacts.groups.map((g) => memberCount(deps, contacts, g.gid)));
      return ok(
        contacts.groups.map((group, i) =>
          groupInfo(idOf(ids, 'groups', keys[i]) as number, group.name, counts[i]),
        ),
      );
    }
    case 'get_group_info': {
      const { contacts } = await login(deps);
      const groupId = idParam(params, 'group_id');
      const group = await groupOf(deps, contacts, groupId);
      return ok(groupInfo(groupId, group.name, await memberCount(deps, contacts, group.gid)));
    }
    case 'get_group_member_list': {
      const { contacts } = await login(deps);
      const groupId = idParam(params, 'group_id');
      const group = await groupOf(deps, contacts, groupId);
      const members = await memberList(deps, contacts, group.gid);
      const keys = keysOf(members.map(([, name]) => name));
      const ids = await deps.ids.ensure(deps.account, { people: keys });
      return ok(
        members.map(([, name], i) => memberInfo(groupId, idOf(ids, 'people', keys[i]) as number, name)),
      );
    }
    case 'get_group_member_info': {
      const { contacts } = await login(deps);
      const groupId = idParam(params, 'group_id');
      const userId = idParam(params, 'user_id');
      const group = await groupOf(deps, contacts, groupId);
      const ids = await deps.ids.read(deps.account);
      const key = keyOf(ids, 'people', userId);
      const members = await memberList(deps, contacts, group.gid);
      const member = key === undefined ? undefined : findByKey(members, ([, n]) => n, key);
      if (!member)
        throw new ActionError(102, `user_id ${userId} is not a member of group ${groupId} in this login`);
      return ok(memberInfo(groupId, userId, member[1]));
    }
    case 'send_private_msg':
      return sendTo('private', params, deps);
    case 'send_group_msg':
      return sendTo('group', params, deps);
    case 'send_discuss_msg':
      return sendTo('discuss', params, deps);
    case 'send_msg': {
      const type = params.message_type;
      if (type === 'private' || type === 'group' || type === 'discuss') return sendTo(type, params, deps);
      if (type !== undefined) throw new ActionError(100, `message_type: expected private, group or discuss`);
      // Without message_type: the chat its ids name (OneBot's rule).
      if (params.group_id !== undefined) return sendTo('group', params, deps);
      if (params.discuss_id !== undefined) return sendTo('discuss', params, deps);
      return sendTo('private', params, deps);
    }
    default:
      if ((UNSUPPORTED_ACTIONS as readonly string[]).includes(name)) {
        throw new ActionError(104, `${name} is not supported by SmartQQ`);
      }
      throw new ActionError(1404, `unknown action ${JSON.stringify(name.slice(0, 64))}`);
  }
}

async function sendTo(
  chat: 'private' | 'group' | 'discuss',
  params: Readonly<Record<string, unknown>>,
  deps: ActionDeps,
): Promise<ActionResult> {
  if (params.message === undefined || params.message === null)
    throw new ActionError(100, 'message: required');
  const autoEscape = params.auto_escape === true || params.auto_escape === 'true';
  const { contacts } = await login(deps);
  const ids = await deps.ids.read(deps.account);
  let request: SendRequest;
  if (chat === 'private') {
    const userId = idParam(params, 'user_id');
    const key = keyOf(ids, 'people', userId);
    const friend = key === undefined ? undefined : findByKey(contacts.friends, (f) => f.nick, key);
    if (!friend) throw new ActionError(102, `user_id ${userId} is not a friend in this login`);
    const text = toSendableText(readMessageParam(params.message, autoEscape), 'private', () => undefined);
    request = { account: deps.account, type: 'friend', to: { uin: friend.uin }, text };
  } else {
    const field = chat === 'group' ? 'group_id' : 'discuss_id';
    const id = idParam(params, field);
    const key = keyOf(ids, chat === 'group' ? 'groups' : 'discussions', id);
    const rooms = chat === 'group' ? contacts.groups : contacts.discussions;
    const room = key === undefined ? undefined : findByKey<{ name: string }>(rooms, (r) => r.name, key);
    if (!room)
      throw new ActionError(
        102,
        `${field} ${id} is not a ${chat === 'group' ? 'group' : 'discussion'} in this login`,
      );
    const mention = (qq: string) => keyOf(ids, 'people', Number(qq))?.replace(/#\d+$/, '');
    const text = toSendableText(readMessageParam(params.message, autoEscape), chat, mention);
    const roomId = 'gid' in room ? (room as { gid: number }).gid : (room as unknown as { did: number }).did;
    request = {
      account: deps.account,
      type: chat === 'group' ? 'group' : 'discussion',
      to: { uin: roomId },
      text,
    };
  }
  // As the send API's: a longer text is a document, not a chat message, and would flood the chat.
  if (codePoints(request.text) > MAX_TEXT_CHARS) {
    throw new ActionError(100, `message: too long: at most ${MAX_TEXT_CHARS} characters`);
  }
  const report = await deps.send(request);
  const outcome = report.outcome;
  if (outcome.status === 'sent') return ok({ message_id: sentMessageId() });
  if (outcome.status === 'uncertain') {
    return {
      status: 'async',
      retcode: 1,
      data: { message_id: sentMessageId() },
      message: 'SmartQQ answered 1202: probably delivered; not sent again',
    };
  }
  throw new ActionError(
    103,
    `SmartQQ did not send it (${outcome.result}${outcome.retcode === undefined ? '' : `, retcode ${outcome.retcode}`})`,
  );
}

function failureOf(err: unknown): ActionResult | undefined {
  const failed = (retcode: number, message: string): ActionResult => ({
    status: 'failed',
    retcode,
    data: null,
    message,
  });
  if (err instanceof ActionError) return failed(err.retcode, err.message);
  if (err instanceof MessageFormatError)
    return failed(err.message.includes('not supported') ? 104 : 100, err.message);
  if (err instanceof SessionOfflineError) return failed(103, `${err.message}: scan a QR code to log in`);
  if (err instanceof ContactsUnavailableError || err instanceof AccountPausedError)
    return failed(103, err.message);
  if (err instanceof PacingError) {
    return failed(103, `paced: the account's next send turn is in ${Math.ceil(err.retryAfterMs / 1000)} s`);
  }
  if (err instanceof RecipientNotFoundError) return failed(102, err.message);
  if (err instanceof UpstreamSendError) return failed(103, err.message);
  return undefined;
}

async function login(deps: ActionDeps): Promise<{ contacts: ContactsCache }> {
  const record = await deps.session();
  if (record?.state !== 'online' || !record.contacts || !record.session) {
    throw new ActionError(
      103,
      `the session of ${deps.account} is ${record?.state ?? 'needs_qr'}, not online`,
    );
  }
  return { contacts: record.contacts };
}

function idParam(params: Readonly<Record<string, unknown>>, name: string): number {
  const value = params[name];
  const id = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
    throw new ActionError(
      100,
      `${name}: ${value === undefined ? 'required' : 'expected a positive integer'}`,
    );
  }
  return id;
}

async function groupOf(deps: ActionDeps, contacts: ContactsCache, groupId: number) {
  const key = keyOf(await deps.ids.read(deps.account), 'groups', groupId);
  const group = key === undefined ? undefined : findByKey(contacts.groups, (g) => g.name, key);
  if (!group) throw new ActionError(102, `group_id ${groupId} is not a group in this login`);
  return group;
}

/** A group's members as [uin, card or nick], in the order SmartQQ listed them. */
async function memberList(
  deps: ActionDeps,
  contacts: ContactsCache,
  gid: number,
): Promise<[string, string][]> {
  const list =
    contacts.members[groupKey(gid)] ??
    (await deps.memberLists.get(deps.account, contacts.linkedAt, groupKey(gid)));
  return Object.entries(list ?? {});
}

async function memberCount(deps: ActionDeps, contacts: ContactsCache, gid: number): Promise<number> {
  return (await memberList(deps, contacts, gid)).length;
}

function groupInfo(groupId: number, name: string, count = 0) {
  // SmartQQ groups held up to 2,000 members.
  return { group_id: groupId, group_name: name, member_count: count, max_member_count: 2000 };
}

function memberInfo(groupId: number, userId: number, name: string) {
  return {
    group_id: groupId,
    user_id: userId,
    nickname: name,
    card: name,
    sex: 'unknown',
    age: 0,
    area: '',
    join_time: 0,
    last_sent_time: 0,
    level: '',
    role: 'member',
    unfriendly: false,
    title: '',
    title_expire_time: 0,
    card_changeable: false,
  };
}

/** A sent message has no id SmartQQ would give back: a fresh positive 31-bit one. */
function sentMessageId(): number {
  return Math.floor(Math.random() * 0x7ffffffe) + 1;
}
