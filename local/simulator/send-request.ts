/**
 * Validation of the three send calls' `r` (docs/protocol.md §5): `content` is a JSON *string* of an
 * array of text strings and `["face",N]` items with `["font",{...}]` last. Anything else is
 * rejected the way the server rejected malformed data, retcode 100006; a wrong clientid is 100001.
 */
import type { JsonObject } from './input.ts';
import type { ContentItem } from './wire-text.ts';

export type SendKind = 'friend' | 'group' | 'discussion';

export const SEND_ENDPOINTS: Readonly<Record<string, SendKind>> = {
  send_buddy_msg2: 'friend',
  send_qun_msg2: 'group',
  send_discu_msg2: 'discussion',
};

const TARGET_FIELD: Readonly<Record<SendKind, string>> = {
  friend: 'to',
  group: 'group_uin',
  discussion: 'did',
};

export const CLIENT_ID = 53999199;

export interface SendRequest {
  readonly kind: SendKind;
  readonly targetId: number;
  readonly psessionid: string;
  readonly msgId: number;
  readonly face: number;
  readonly items: readonly ContentItem[];
  readonly font: unknown;
  /** The content string as sent. */
  readonly content: string;
}

export type SendParse =
  | { readonly ok: true; readonly request: SendRequest }
  | { readonly ok: false; readonly retcode: 100006 | 100001; readonly reason: string };

export function parseSendRequest(kind: SendKind, r: JsonObject): SendParse {
  const bad = (reason: string): SendParse => ({ ok: false, retcode: 100006, reason });
  const target = r[TARGET_FIELD[kind]];
  if (typeof target !== 'number') return bad(`${TARGET_FIELD[kind]} must be a number`);
  if (typeof r.psessionid !== 'string') return bad('psessionid must be a string');
  if (typeof r.msg_id !== 'number') return bad('msg_id must be a number');
  if (typeof r.face !== 'number') return bad('face must be a number');
  if (Number(r.clientid) !== CLIENT_ID) return { ok: false, retcode: 100001, reason: 'wrong clientid' };
  if (typeof r.content !== 'string') return bad('content must be a JSON string, not an array');
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.content);
  } catch {
    return bad('content is not JSON');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return bad('content must be a non-empty array');
  const last = parsed[parsed.length - 1];
  if (!isFont(last)) return bad('the last content item must be ["font",{...}]');
  const items: ContentItem[] = [];
  for (const item of parsed.slice(0, -1)) {
    if (typeof item === 'string') items.push(item);
    else if (isFace(item)) items.push(['face', item[1]]);
    else return bad(isFont(item) ? 'font must be the last item' : `bad content item ${JSON.stringify(item)}`);
  }
  if (!items.some((i) => typeof i !== 'string' || i.length > 0)) return bad('nothing to send');
  return {
    ok: true,
    request: {
      kind,
      targetId: target,
      psessionid: r.psessionid,
      msgId: r.msg_id,
      face: r.face,
      items,
      font: last[1],
      content: r.content,
    },
  };
}

function isFont(item: unknown): item is ['font', object] {
  return (
    Array.isArray(item) &&
    item.length === 2 &&
    item[0] === 'font' &&
    typeof item[1] === 'object' &&
    item[1] !== null
  );
}

function isFace(item: unknown): item is ['face', number] {
  return (
    Array.isArray(item) &&
    item.length === 2 &&
    item[0] === 'face' &&
    Number.isInteger(item[1]) &&
    item[1] >= 0
  );
}
