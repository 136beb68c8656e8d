/**
 * The transcript `npm start` prints: every message the bot received (from the demo, injected through
 * the simulator, or from any SmartQQ server), and every message it sent with what caused it — a
 * rule answering a message, or the send API. It listens to the pipeline's activity channels
 * (`lib/pipeline/activity.ts`), so it shows what the handlers did rather than guessing from the
 * server's side.
 */
import {
  type ApiSendActivity,
  type InboundActivity,
  listenToActivity,
  type ReplyActivity,
  type SendStatus,
} from '../../lib/pipeline/activity.ts';
import type { InboundMessage } from '../../lib/pipeline/ports.ts';
import { asReceived, echoForms } from '../../lib/rules/reply-plan.ts';
import { parseFaceMarkers, plainText } from '../../lib/smartqq/content.ts';

export interface Transcript {
  close(): void;
}

export interface TranscriptOptions {
  /**
   * Whether a line starts with the account it is about (`20002 [friend] Alice: hi`): yes when the
   * runtime serves several accounts; a line about an account other than `firstAccount` is always
   * tagged (one added while it runs).
   */
  readonly severalAccounts?: boolean;
  readonly firstAccount?: string;
}

export function startTranscript(print: (line: string) => void, options: TranscriptOptions = {}): Transcript {
  const say = (account: string, line: string) =>
    print(
      options.severalAccounts || (options.firstAccount ?? account) !== account ? `${account} ${line}` : line,
    );
  // What the bot said lately in each chat, to show its echo as such even before the poller has
  // learned the echo's sender (the first echo of a session is published before that lookup).
  const said = new Map<string, Set<string>>();
  const remember = (chat: string, text: string) => {
    const forms = said.get(chat) ?? new Set<string>();
    for (const form of echoForms(text)) forms.add(form);
    said.set(chat, forms);
  };
  const stop = listenToActivity({
    inbound: (a) => {
      const echo = a.message.fromBot === true || said.get(chatOf(a.message))?.has(asReceived(a.message.text));
      say(a.message.account, inboundLine(a, echo === true));
    },
    reply: (a) => {
      remember(chatOf(a.message), a.text);
      say(a.message.account, replyLine(a));
    },
    apiSend: (a) => {
      remember(`${a.account}|${a.chatType}|${a.to}`, a.text);
      say(a.account, apiSendLine(a));
    },
  });
  return { close: stop };
}

/**
 * `[friend] Ali: ping`, `[group Hiking Club] Trail Boss: anyone up for a hike?`, and the server's
 * echo of the bot's own message: `[group Hiking Club] (the bot's own message, echoed) pong`.
 */
export function inboundLine({ message }: InboundActivity, echo = message.fromBot === true): string {
  const sender = echo ? "(the bot's own message, echoed)" : `${message.senderName}:`;
  return `${chatLabel(message)} ${sender} ${message.text}`;
}

function chatOf(message: InboundMessage): string {
  return `${message.account}|${message.chatType}|${message.chatName}`;
}

/** `  ↳ bot to Ali (rule ping, answering "ping"): pong` */
export function replyLine({ message, ruleId, text, status, retcode }: ReplyActivity): string {
  const to =
    message.chatType === 'friend' ? message.chatName : `${message.senderName} in ${message.chatName}`;
  const why = `rule ${ruleId}, answering ${JSON.stringify(message.text)}`;
  return `  ↳ bot to ${to} (${why}): ${shown(text)}${outcome(status, retcode)}`;
}

/** `[send API] bot to Ali: hello from curl` */
export function apiSendLine({ chatType, to, text, status, retcode }: ApiSendActivity): string {
  const where = chatType === 'friend' ? to : `${chatType} ${to}`;
  return `[send API] bot to ${where}: ${shown(text)}${outcome(status, retcode)}`;
}

function chatLabel(message: InboundMessage): string {
  return message.chatType === 'friend' ? '[friend]' : `[${message.chatType} ${message.chatName}]`;
}

/** The text as the chat shows it: face markers (`/微笑`) as the face's name (`[微笑]`). */
function shown(text: string): string {
  return plainText(parseFaceMarkers(text));
}

function outcome(status: SendStatus, retcode: number | undefined): string {
  const code = retcode === undefined ? '' : `, retcode ${retcode}`;
  switch (status) {
    case 'sent':
      return '';
    case 'uncertain':
      return ` (uncertain${code}: maybe delivered, not resent)`;
    case 'rejected':
      return ` (refused${code})`;
    case 'session_problem':
      return ` (not sent${code}: the session needs a relink)`;
    case 'not_sent':
      return ' (not sent: SmartQQ could not be reached; tried again)';
  }
}
