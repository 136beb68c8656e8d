/**
 * The three send calls (PROTOCOL.md §5) past the HTTP layer: validate, resolve the target in the
 * session's ids, record the message, echo group and discussion messages back through poll (with
 * the session's own member uin as send_uin, PROTOCOL.md §4), and choose the answer by era.
 */
import type { SimulatorCore } from './core.ts';
import { discuMessageValue, groupMessageValue } from './events.ts';
import type { JsonObject } from './input.ts';
import { type AccountLogin, type ConversationRef, conversationKey, type Session } from './logins.ts';
import { parseSendRequest, type SendKind, type SendRequest } from './send-request.ts';
import type { SentRecord } from './sent-log.ts';
import { plainText, wireContent } from './wire-text.ts';

/** How a send that went through is answered: normally, or a 1202 that delivered anyway (a fault). */
export type SendMode = 'normal' | 'delivered-1202';

/** The JSON answer of a send call (the HTTP layer adds the trailing newline). */
export function performSend(
  core: SimulatorCore,
  kind: SendKind,
  r: JsonObject | undefined,
  login: AccountLogin | undefined,
  mode: SendMode,
): string {
  const fail = (retcode: number) => JSON.stringify({ errmsg: 'error!!!', retcode });
  if (!r) return fail(100006);
  const parsed = parseSendRequest(kind, r);
  if (!parsed.ok) {
    core.log(`send: rejected (${parsed.reason})`);
    return fail(parsed.retcode);
  }
  const req = parsed.request;
  const session = core.logins.session(req.psessionid);
  if (!login || !session || session.login !== login) return fail(100001);
  // 2016–17: an expired login answered sends with 100012 (PROTOCOL.md §4, retcodes).
  if (!core.loginAlive(login)) return fail(100012);
  if (session.ended) return fail(100001);
  const target = resolveTarget(core, session, req);
  if (!target) {
    core.log(`send: unknown ${kind} id for ${login.account.qq}`);
    return fail(100001);
  }
  const retcode =
    mode === 'delivered-1202'
      ? 1202
      : kind === 'discussion' && core.settings.era.discuSend100100
        ? 100100
        : 0;
  deliver(core, session, req, target, retcode);
  if (retcode === 1202) return fail(1202);
  if (retcode === 100100) return JSON.stringify({ retcode: 100100 });
  return core.settings.era.sendOk === 'errCode'
    ? JSON.stringify({ errCode: 0, msg: 'send ok' })
    : JSON.stringify({ retcode: 0, result: 'ok' });
}

interface Target {
  readonly ref: ConversationRef;
  /** Friend nick, group or discussion name. */
  readonly name: string;
  readonly markname?: string;
}

function resolveTarget(core: SimulatorCore, session: Session, req: SendRequest): Target | undefined {
  const { account } = session.login;
  const { ids } = session;
  if (req.kind === 'friend') {
    const qq = ids.personByUin(req.targetId);
    const friend = account.friends.find((f) => f.qq === qq);
    if (!friend) return undefined;
    return {
      ref: { kind: 'friend', qq: friend.qq },
      name: core.world.person(friend.qq)?.nick ?? '',
      ...(friend.markname !== undefined && { markname: friend.markname }),
    };
  }
  if (req.kind === 'group') {
    const group = ids.groupByGid(req.targetId);
    return group && { ref: { kind: 'group', name: group.name }, name: group.name };
  }
  const d = ids.discussion(req.targetId);
  return d && { ref: { kind: 'discussion', name: d.name }, name: d.name };
}

function deliver(
  core: SimulatorCore,
  session: Session,
  req: SendRequest,
  target: Target,
  retcode: number,
): void {
  const now = core.now();
  const time = Math.floor(now / 1000);
  const { login } = session;
  const record: SentRecord = {
    account: login.account.qq,
    type: req.kind,
    to: {
      name: target.name,
      id: req.targetId,
      ...(target.markname !== undefined && { markname: target.markname }),
    },
    text: plainText(req.items),
    content: req.content,
    msgId: req.msgId,
    time,
    retcode,
  };
  core.counters.add('sends');
  if (core.sent.record(record, now)) {
    core.counters.add('duplicateSends');
    core.log(`send: DUPLICATE within 10 s to ${req.kind} "${target.name}"`);
  }
  core.log(`send: ${login.account.qq} → ${req.kind} "${target.name}": ${record.text}`);
  login.state.touch(target.ref);
  if (target.ref.kind === 'friend') return;
  const { ids } = session;
  const content = wireContent(req.items, req.font);
  const conversation = conversationKey(target.ref);
  const msgId = session.nextMsgId(conversation);
  const common = { content, msgId, time, toUin: login.account.qq, sendUin: ids.selfMemberUin };
  const value =
    req.kind === 'group'
      ? groupMessageValue({ ...common, gid: req.targetId })
      : discuMessageValue({ ...common, did: req.targetId });
  core.hub.enqueue(session, {
    key: core.nextEventKey(),
    pollType: req.kind === 'group' ? 'group_message' : 'discu_message',
    value,
    endsSession: false,
  });
}
