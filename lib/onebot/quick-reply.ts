/**
 * The OneBot side of answering a message: the event posted to the bot, and its quick reply as the
 * text the replier sends (once, paced and guarded like a rule's reply: `lib/pipeline/replier.ts`).
 *
 * Which answers (`mode`): `rules_first` — the rules, and the bot only when no rule answered;
 * `onebot_only` — the bot alone; `both` — the rules and the bot.
 */
import type { Registry } from '../pipeline/accounts.ts';
import type { ContactsCache, InboundMessage, PipelineLog } from '../pipeline/ports.ts';
import { SERVED_CACHE_MS } from '../send-api/accounts.ts';
import { keysOfMessage, messageEvent } from './events.ts';
import { type IdKind, type IdTable, keyOf } from './ids.ts';
import { MessageFormatError, readMessageParam, toSendableText } from './message.ts';
import { type EventPoster, ONEBOT_MODES, type OneBotMode, type PostMessageFormat } from './post.ts';

export { ONEBOT_MODES, type OneBotMode };

export interface OneBotReplies {
  readonly mode: OneBotMode;
  readonly format: PostMessageFormat;
  readonly ids: {
    ensure(account: string, want: Partial<Record<IdKind, readonly string[]>>): Promise<IdTable>;
    read(account: string): Promise<IdTable>;
  };
  readonly poster: EventPoster;
}

/** Whether the bot is asked about this message, given whether a rule answers it. */
export function asksOneBot(mode: OneBotMode, ruleAnswers: boolean): boolean {
  return mode !== 'rules_first' || !ruleAnswers;
}

/**
 * Posts the message's event; the quick reply's text, or undefined (none, or one SmartQQ cannot send:
 * said in the log, since asking again would get the same). A failed post throws: the record is
 * retried from the queue.
 */
export async function askOneBot(
  message: InboundMessage,
  contacts: ContactsCache,
  members: Readonly<Record<string, string>> | undefined,
  onebot: OneBotReplies,
  log: PipelineLog,
): Promise<string | undefined> {
  const keys = keysOfMessage(message, contacts, members);
  let ids: IdTable;
  try {
    ids = await onebot.ids.ensure(
      message.account,
      Object.fromEntries(Object.entries(keys).map(([kind, key]) => [kind, [key]])),
    );
  } catch (err) {
    // The ids item full (DynamoDB's 400 KB, some 24,000 names) must not cost the message: it is
    // posted with the ids known, a new name's as 0, and said once per message.
    log.error('the OneBot ids could not be saved: posted with the ids known', {
      reason: (err as Error).message,
    });
    ids = await onebot.ids.read(message.account);
  }
  const event = messageEvent(message, keys, ids, onebot.format);
  const quick = await onebot.poster.post(event);
  if (quick?.reply === undefined || quick.reply === null || quick.reply === '') return undefined;
  const chat = message.chatType === 'friend' ? 'private' : message.chatType === 'group' ? 'group' : 'discuss';
  try {
    const segments = readMessageParam(quick.reply, quick.auto_escape === true);
    const text = toSendableText(segments, chat, (qq) => nameOf(ids, qq));
    // at_sender: in a group or discussion, the reply names the sender first (the default, as OneBot's).
    return chat !== 'private' && quick.at_sender !== false ? `@${message.senderName} ${text}` : text;
  } catch (err) {
    if (!(err instanceof MessageFormatError)) throw err;
    log.error('the OneBot quick reply cannot be sent by SmartQQ: not sent', { reason: err.message });
    return undefined;
  }
}

/** The name a stable person id stands for (its key without the `#n` of a duplicate). */
function nameOf(ids: IdTable, qq: string): string | undefined {
  const key = keyOf(ids, 'people', Number(qq));
  return key?.replace(/#\d+$/, '');
}

/** The deployment's OneBot bot (ONEBOT_*), for the accounts without one of their own. */
export interface OneBotDefaults {
  readonly postUrl?: string;
  readonly mode: OneBotMode;
  readonly format: PostMessageFormat;
}

export interface AccountOneBotsOptions {
  readonly defaults: OneBotDefaults;
  /** The account registry (an account's own bot: `lib/pipeline/accounts.ts`). */
  readonly registry: { read(): Promise<Registry> };
  readonly ids: OneBotReplies['ids'];
  /** The poster of a URL (all sign with the deployment's secret). */
  readonly posterFor: (url: string) => EventPoster;
  readonly now?: () => number;
  /** How long a registry read is used; default the send API's (SERVED_CACHE_MS). */
  readonly cacheMs?: number;
}

/**
 * Each account's OneBot bot, or undefined for none: its own from the registry (`postUrl: null`
 * turns the deployment's off for it), else the deployment's. The registry is read at most every
 * `cacheMs`; a failed read keeps the last one, if any.
 */
export function accountOneBots(
  options: AccountOneBotsOptions,
): (account: string) => Promise<OneBotReplies | undefined> {
  const now = options.now ?? Date.now;
  const cacheMs = options.cacheMs ?? SERVED_CACHE_MS;
  const posters = new Map<string, EventPoster>();
  let kept: { registry: Registry; at: number } | undefined;
  const registry = async () => {
    if (kept && now() - kept.at < cacheMs) return kept.registry;
    try {
      kept = { registry: await options.registry.read(), at: now() };
    } catch (err) {
      if (!kept) throw err;
    }
    return kept.registry;
  };
  return async (account) => {
    const own = (await registry())[account]?.onebot;
    const postUrl = own ? own.postUrl : options.defaults.postUrl;
    if (!postUrl) return undefined;
    let poster = posters.get(postUrl);
    if (!poster) {
      poster = options.posterFor(postUrl);
      posters.set(postUrl, poster);
    }
    return {
      mode: own?.mode ?? options.defaults.mode,
      format: own?.format ?? options.defaults.format,
      ids: options.ids,
      poster,
    };
  };
}
