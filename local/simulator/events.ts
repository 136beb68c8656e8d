/**
 * poll2 events: what sits in a session queue and the `value` shapes of each poll_type
 * (docs/protocol.md §4; chat shapes and key order as fixtures/smartqq/poll_messages.txt).
 */
import { randomInt } from 'node:crypto';

export interface QueuedEvent {
  /** Identity of the event, to tell a second delivery of it from a new event. */
  readonly key: string;
  readonly pollType: string;
  readonly value: Readonly<Record<string, unknown>>;
  /** A kick: once taken off the queue, the session is over. */
  readonly endsSession: boolean;
}

export interface ChatFields {
  readonly content: unknown[];
  readonly msgId: number;
  readonly time: number;
  readonly toUin: number;
}

export function friendMessageValue(f: ChatFields & { fromUin: number }): Record<string, unknown> {
  return {
    content: f.content,
    from_uin: f.fromUin,
    msg_id: f.msgId,
    msg_type: 0,
    time: f.time,
    to_uin: f.toUin,
  };
}

export function groupMessageValue(f: ChatFields & { gid: number; sendUin: number }): Record<string, unknown> {
  return {
    content: f.content,
    from_uin: f.gid,
    group_code: f.gid,
    msg_id: f.msgId,
    msg_type: 0,
    send_uin: f.sendUin,
    time: f.time,
    to_uin: f.toUin,
  };
}

export function discuMessageValue(f: ChatFields & { did: number; sendUin: number }): Record<string, unknown> {
  return {
    content: f.content,
    from_uin: f.did,
    did: f.did,
    msg_id: f.msgId,
    msg_type: 0,
    send_uin: f.sendUin,
    time: f.time,
    to_uin: f.toUin,
  };
}

/** What a notice's default value is built from; absent ids are 0. */
export interface NoticeContext {
  readonly selfUin: number;
  readonly msgId: number;
  readonly time: number;
  /** Session uin of the person concerned. */
  readonly fromUin: number;
  readonly gid: number;
  readonly code: number;
  /** Session uin of the group member concerned. */
  readonly memberUin: number;
  readonly content: unknown[];
}

const KICK_REASON = '您的帐号在另一地点登录，您已被迫下线。如有疑问，请登录:safe.qq.com了解更多。';

const header = (c: NoticeContext, msgType: number, fromUin = c.fromUin) => ({
  msg_id: c.msgId,
  from_uin: fromUin,
  to_uin: c.selfUin,
  msg_id2: randomInt(100_000, 999_999),
  msg_type: msgType,
  reply_ip: 176_498_000 + randomInt(1000),
});

/** Default values of the notice kinds; a control call may override any field. */
export const NOTICE_BUILDERS: Readonly<Record<string, (c: NoticeContext) => Record<string, unknown>>> = {
  buddies_status_change: (c) => ({ uin: c.fromUin, status: 'online', client_type: 1 }),
  kick_message: (c) => ({
    ...header(c, 48, 10000),
    time: c.time,
    show_reason: 1,
    reason: KICK_REASON,
    ways: [],
  }),
  input_notify: (c) => header(c, 121),
  sess_message: (c) => ({
    ...header(c, 140),
    time: c.time,
    id: c.gid,
    ruin: c.fromUin,
    service_type: 0,
    flags: { text: 1, pic: 1, file: 1, audio: 1, video: 1 },
    content: c.content,
  }),
  group_web_message: (c) => ({
    ...header(c, 45, c.gid),
    group_code: c.gid,
    group_type: 1,
    ver: 1,
    send_uin: c.memberUin,
    xml: '',
  }),
  sys_g_msg: (c) => ({
    ...header(c, 34, c.gid),
    type: 'group_join',
    gcode: c.code,
    t_gcode: c.code,
    op_type: 3,
    new_member: c.memberUin,
    t_new_member: '',
    admin_uin: 0,
    admin_nick: '',
  }),
  system_message: (c) => ({
    seq: c.msgId,
    type: 'verify_required',
    uiuin: '',
    from_uin: c.fromUin,
    account: 0,
    msg: '',
    allow: 1,
    stat: 10,
    client_type: 1,
  }),
  file_message: (c) => ({
    ...header(c, 9),
    mode: 'recv',
    type: 129,
    name: 'file.txt',
    inet_ip: 0,
    session_id: randomInt(1000, 65_535),
    time: c.time,
  }),
  tips: (c) => ({ ...header(c, 0), service_type: 0, txt: '' }),
};

/** The chat kinds: injected through the messages call, which names the conversation. */
export const CHAT_POLL_TYPES = ['message', 'group_message', 'discu_message'] as const;

/** The `{"result":[...],"retcode":0}` body of a poll that delivers events. */
export function pollResultBody(events: readonly QueuedEvent[]): string {
  return JSON.stringify({
    result: events.map((e) => ({ poll_type: e.pollType, value: e.value })),
    retcode: 0,
  });
}
