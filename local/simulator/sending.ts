/**
 * The three send calls (docs/protocol.md §5) past the HTTP layer: validate, resolve the target in the
 * session's ids, record the message, echo group and discussion messages back through poll when the
 * era has the echo (since 2017-05, §4, §7), and choose the answer by era.
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
  // 2016–17: an expired login answered sends with 100012 (docs/protocol.md §4, retcodes).
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
  // Shaped like every non-zero send answer (§5), as pandolia/qqbot#29 logged it for 100100.
  if (retcode === 100100) return fail(100100);
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
  if (target.ref.kind === 'friend' || !core.settings.era.echo) return;
  echo(core, session, req, target.ref, time);
}

/**
 * The echo of an own group/discussion send, as a received message: the font first, then the sent
 * items (text escaped as delivered, faces as `["face",N]`). Its send_uin is, by default, the
 * session's virtual uin that no member list has (§4, §7); `echoSendUin: "member"` uses the bot's
 * listed member uin instead (the simulator's old form).
 */
function echo(core: SimulatorCore, session: Session, req: SendRequest, ref: ConversationRef, time: number) {
  const { ids, login } = session;
  const content = wireContent(req.items, req.font);
  const msgId = session.nextMsgId(conversationKey(ref));
  const sendUin = core.settings.echoSendUin === 'member' ? ids.selfMemberUin : ids.echoUin;
  const common = { content, msgId, time, toUin: login.account.qq, sendUin };
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
