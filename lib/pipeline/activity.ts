/**
 * What the bot did, on Node diagnostics channels: each inbound message the poller received, each
 * reply the consumer sent (with the message and the rule that caused it), each message the send API
 * sent. In AWS nobody subscribes, and publishing to a channel nobody listens to costs nothing; the
 * local runtime's transcript subscribes, to show a person at the terminal what came in and why
 * each message went out. Names and texts only: never a session, a cookie or a token.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { ChatType } from '../rules/model.ts';
import type { SendResult } from '../smartqq/send.ts';
import type { InboundMessage } from './ports.ts';

/** What happened to a message the bot tried to send. */
export type SendStatus = SendResult['status'];

export interface InboundActivity {
  readonly message: InboundMessage;
}

export interface ReplyActivity {
  readonly message: InboundMessage;
  readonly ruleId: string;
  readonly text: string;
  readonly status: SendStatus;
  readonly retcode?: number;
}

export interface ApiSendActivity {
  readonly account: string;
  readonly chatType: ChatType;
  /** The recipient's name as the contacts give it. */
  readonly to: string;
  readonly text: string;
  readonly status: SendStatus;
  readonly retcode?: number;
}

export const ACTIVITY_CHANNELS = {
  inbound: 'qqbot:inbound',
  reply: 'qqbot:reply',
  apiSend: 'qqbot:api-send',
} as const;

const inbound = diagnosticsChannel.channel(ACTIVITY_CHANNELS.inbound);
const reply = diagnosticsChannel.channel(ACTIVITY_CHANNELS.reply);
const apiSend = diagnosticsChannel.channel(ACTIVITY_CHANNELS.apiSend);

export function reportInbound(activity: InboundActivity): void {
  if (inbound.hasSubscribers) inbound.publish(activity);
}

export function reportReply(activity: ReplyActivity): void {
  if (reply.hasSubscribers) reply.publish(activity);
}

export function reportApiSend(activity: ApiSendActivity): void {
  if (apiSend.hasSubscribers) apiSend.publish(activity);
}

export interface ActivityListener {
  readonly inbound?: (activity: InboundActivity) => void;
  readonly reply?: (activity: ReplyActivity) => void;
  readonly apiSend?: (activity: ApiSendActivity) => void;
}

/** Subscribes to the channels; returns what unsubscribes. */
export function listenToActivity(listener: ActivityListener): () => void {
  const subscriptions: [string, (message: unknown) => void][] = [];
  const on = <T>(name: string, handle: ((activity: T) => void) | undefined) => {
    if (!handle) return;
    const subscriber = (message: unknown) => handle(message as T);
    diagnosticsChannel.subscribe(name, subscriber);
    subscriptions.push([name, subscriber]);
  };
  on(ACTIVITY_CHANNELS.inbound, listener.inbound);
  on(ACTIVITY_CHANNELS.reply, listener.reply);
  on(ACTIVITY_CHANNELS.apiSend, listener.apiSend);
  return () => {
    for (const [name, subscriber] of subscriptions) diagnosticsChannel.unsubscribe(name, subscriber);
  };
}
