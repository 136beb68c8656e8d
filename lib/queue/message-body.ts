/**
 * The inbound queue's message body: an InboundMessage as JSON, written by the poller
 * (`encodeInboundMessage`), read back and checked by the consumer (`parseInboundMessage`).
 */
import { z } from 'zod';
import type { InboundMessage } from '../pipeline/ports.ts';

export class InboundMessageError extends Error {
  override readonly name = 'InboundMessageError';
  constructor(
    /** The bad field's path (`chatType`), `(body)` for a body that is not JSON, `(root)` for one that is not an object. */
    readonly field: string,
    reason: string,
  ) {
    super(`malformed inbound message: ${field}: ${reason}`);
  }
}

const int = z.number().int();

const inboundMessageSchema = z.object({
  key: z.string().min(1),
  account: z.string().min(1),
  conversation: z.string().min(1),
  chatType: z.enum(['friend', 'group', 'discussion']),
  chatId: int,
  chatName: z.string(),
  senderUin: int,
  senderName: z.string(),
  senderNick: z.string(),
  text: z.string(),
  msgId: int,
  time: int,
  linkedAt: z.number(),
  receivedAt: z.number(),
  fromBot: z.boolean().optional(),
}) satisfies z.ZodType<InboundMessage>;

/**
 * Checks a message body; throws InboundMessageError naming the first bad field (a malformed body is
 * a poison record: retrying it cannot help). Unknown fields are dropped.
 */
export function parseInboundMessage(body: string): InboundMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InboundMessageError('(body)', 'not JSON');
  }
  const parsed = inboundMessageSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InboundMessageError(issue?.path.join('.') || '(root)', issue?.message ?? 'invalid');
  }
  return parsed.data;
}

/**
 * Characters SQS refuses in a body, as UTF-16 code units: it accepts #x9 #xA #xD, #x20–#xD7FF,
 * #xE000–#xFFFD and #x10000–#x10FFFF (SendMessage API reference). JSON.stringify already escapes
 * the control characters; U+FFFE/U+FFFF and lone surrogates would fail the message for good, and
 * an emulator that checks code units (fauxqs 1.9) refuses even paired surrogates, i.e. every emoji.
 */
const UNSAFE_FOR_SQS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/g;

/**
 * The message as a JSON body that any SQS accepts whatever the chat text holds: the characters
 * above are written as `\uXXXX` escapes (they only occur inside JSON strings, where JSON.parse turns
 * the escapes, surrogate pairs included, back into the same text).
 */
export function encodeInboundMessage(message: InboundMessage): string {
  return JSON.stringify(message).replace(
    UNSAFE_FOR_SQS,
    (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
