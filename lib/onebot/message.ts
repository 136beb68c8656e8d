/**
 * OneBot v11 messages: a CQ code string (`你好[CQ:face,id=14]`) or an array of segments
 * (`[{"type":"text","data":{"text":"你好"}},{"type":"face","data":{"id":"14"}}]`), to and from
 * what SmartQQ carries — text and QQ's classic faces, whose ids SmartQQ's face items use as they are.
 *
 * Sent: `text` and `face` as such, `at` (in a group or discussion) as the text `@name ` — SmartQQ
 * has no real mention; anything else (`image`, `record`, `reply`, ...) is refused by name, since
 * SmartQQ cannot carry it and a bot would rather know than have it dropped.
 */
import { faceName } from '../smartqq/faces.ts';

export interface MessageSegment {
  readonly type: string;
  readonly data: Readonly<Record<string, string>>;
}

/** A message a bot may send, or not, and why. */
export class MessageFormatError extends Error {
  override readonly name = 'MessageFormatError';
}

/** `&`, `[`, `]` in text; also `,` in a CQ code's values. */
export function escapeCq(text: string, inValue = false): string {
  const escaped = text.replaceAll('&', '&amp;').replaceAll('[', '&#91;').replaceAll(']', '&#93;');
  return inValue ? escaped.replaceAll(',', '&#44;') : escaped;
}

export function unescapeCq(text: string): string {
  return text
    .replaceAll('&#44;', ',')
    .replaceAll('&#91;', '[')
    .replaceAll('&#93;', ']')
    .replaceAll('&amp;', '&');
}

/** A CQ code string to segments; `autoEscape`: the whole string is text, codes and all. */
export function parseCqString(message: string, autoEscape = false): MessageSegment[] {
  if (autoEscape) return message === '' ? [] : [{ type: 'text', data: { text: message } }];
  const segments: MessageSegment[] = [];
  const code = /\[CQ:([a-zA-Z0-9_.-]+)((?:,[^,\]]*)*)\]/g;
  let last = 0;
  for (const match of message.matchAll(code)) {
    if (match.index > last) segments.push(textSegment(unescapeCq(message.slice(last, match.index))));
    const data: Record<string, string> = {};
    for (const pair of (match[2] ?? '').split(',').slice(1)) {
      const eq = pair.indexOf('=');
      if (eq === -1) throw new MessageFormatError(`CQ code [CQ:${match[1]}…]: "${pair}" is not key=value`);
      data[pair.slice(0, eq)] = unescapeCq(pair.slice(eq + 1));
    }
    segments.push({ type: match[1] as string, data });
    last = match.index + match[0].length;
  }
  if (last < message.length) segments.push(textSegment(unescapeCq(message.slice(last))));
  return segments;
}

/** Segments to a CQ code string (what `raw_message` and the string post format carry). */
export function toCqString(segments: readonly MessageSegment[]): string {
  return segments
    .map((segment) => {
      if (segment.type === 'text') return escapeCq(segment.data.text ?? '');
      const data = Object.entries(segment.data).map(([k, v]) => `,${k}=${escapeCq(v, true)}`);
      return `[CQ:${segment.type}${data.join('')}]`;
    })
    .join('');
}

/**
 * A `message` parameter as a bot sends it — a CQ string, one segment, or an array of segments — to
 * segments. Anything else is refused with what is wrong.
 */
export function readMessageParam(message: unknown, autoEscape: boolean): MessageSegment[] {
  if (typeof message === 'string') return parseCqString(message, autoEscape);
  const list = Array.isArray(message) ? message : [message];
  return list.map((item, i) => {
    const segment = item as { type?: unknown; data?: unknown } | null;
    if (
      typeof segment?.type !== 'string' ||
      (segment.data !== undefined && typeof segment.data !== 'object')
    ) {
      throw new MessageFormatError(`message[${i}]: expected a segment {"type": …, "data": {…}}`);
    }
    const data = Object.fromEntries(
      Object.entries((segment.data ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
    );
    return { type: segment.type, data };
  });
}

/** Who an `at` segment names in the chat, for its text: its card or nick, or undefined if unknown. */
export type MentionName = (qq: string) => string | undefined;

/**
 * Segments to the text the bot sends: faces as `[name]` markers (the replier's form), `at` as
 * `@name `, in a group or discussion only. Refuses what SmartQQ cannot send.
 */
export function toSendableText(
  segments: readonly MessageSegment[],
  chat: 'private' | 'group' | 'discuss',
  mentionName: MentionName,
): string {
  let text = '';
  for (const [i, segment] of segments.entries()) {
    switch (segment.type) {
      case 'text':
        text += segment.data.text ?? '';
        break;
      case 'face': {
        const id = Number(segment.data.id);
        const name = Number.isInteger(id) ? faceName(id) : undefined;
        if (name === undefined)
          throw new MessageFormatError(`message[${i}]: face id ${segment.data.id} is not a QQ face`);
        text += `[${name}]`;
        break;
      }
      case 'at': {
        if (chat === 'private')
          throw new MessageFormatError(`message[${i}]: at is for groups and discussions`);
        const qq = segment.data.qq ?? '';
        text += qq === 'all' ? '@全体成员 ' : `@${mentionName(qq) ?? qq} `;
        break;
      }
      default:
        throw new MessageFormatError(
          `message[${i}]: segment type "${segment.type}" is not supported by SmartQQ (text, face and at are)`,
        );
    }
  }
  if (text.trim() === '') throw new MessageFormatError('message: empty');
  return text;
}

/** Received text (faces as `[name]`, as the poller decodes it) to segments. */
export function receivedSegments(
  segments: readonly ({ type: 'text'; text: string } | { type: 'face'; id: number })[],
): MessageSegment[] {
  return segments.map((s) =>
    s.type === 'text' ? textSegment(s.text) : { type: 'face', data: { id: String(s.id) } },
  );
}

function textSegment(text: string): MessageSegment {
  return { type: 'text', data: { text } };
}
