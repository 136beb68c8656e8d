/**
 * The message content codec (docs/protocol.md §5 sending, §6 received content). The rest of the bot
 * sees `Segment`s, never the wire arrays.
 *
 * Wire form: an array of text strings and `["face", id]` items plus one `["font", {...}]` item —
 * first when received, last when sent. Sent, the array travels as a JSON *string*.
 */
import { FACES, faceIdByName, faceName } from './faces.ts';

export type Segment = { type: 'text'; text: string } | { type: 'face'; id: number; name?: string };

export type Font = {
  readonly name: string;
  readonly size: number;
  readonly style: readonly [number, number, number];
  readonly color: string;
};

/** The web client's font item (docs/protocol.md §5). */
export const DEFAULT_FONT: Font = Object.freeze({
  name: '宋体',
  size: 10,
  style: Object.freeze([0, 0, 0] as const),
  color: '000000',
});

/** Bots split outgoing messages at 720 UTF-8 bytes (docs/protocol.md §5, "Length"). */
export const SEND_MAX_BYTES = 720;
/** How far back from the cut `splitForSending` looks for whitespace to cut at. */
export const SPLIT_LOOKBACK_BYTES = 100;

/** Shown for a face whose id has no name: from 2018 every received face came as one id (§6). */
const UNKNOWN_FACE_TEXT = '[表情]';
/** Pictures stopped being delivered in 2015, but old or odd servers may still send these items. */
const PICTURE_TAGS = new Set(['cface', 'offpic', 'pic', 'image']);
const PICTURE_TEXT = '[图片]';
const UNSUPPORTED_TEXT = '[不支持的消息]';

export class ContentError extends Error {
  override readonly name = 'ContentError';
}

export type DecodedContent = { segments: Segment[]; text: string };

/** Decodes a received `value.content`. Unknown item tags become placeholder text; wrong types throw. */
export function decodeContent(raw: unknown): DecodedContent {
  if (!Array.isArray(raw)) throw new ContentError(`content is not an array (got ${describe(raw)})`);
  const segments: Segment[] = [];
  raw.forEach((item: unknown, index) => {
    if (typeof item === 'string') {
      appendText(segments, normalizeReceivedText(item));
      return;
    }
    if (!Array.isArray(item)) {
      throw new ContentError(
        `content item ${index} is ${describe(item)}, expected a string or a [tag, ...] array`,
      );
    }
    const tag: unknown = item[0];
    if (typeof tag !== 'string') {
      throw new ContentError(`content item ${index} is an array whose tag is ${describe(tag)}, not a string`);
    }
    if (tag === 'font') return;
    if (tag === 'face') {
      const id: unknown = item[1];
      if (!isFaceId(id)) throw new ContentError(`content item ${index}: face id is ${describe(id)}`);
      segments.push(faceSegment(id));
      return;
    }
    appendText(segments, PICTURE_TAGS.has(tag) ? PICTURE_TEXT : UNSUPPORTED_TEXT);
  });
  return { segments, text: plainText(segments) };
}

/** Segments as plain text: a face becomes `[name]`, or `[表情]` when its id is unknown. */
export function plainText(segments: readonly Segment[]): string {
  checkSegments(segments);
  let text = '';
  for (const segment of segments) {
    if (segment.type === 'text') text += segment.text;
    else {
      const name = segment.name ?? faceName(segment.id);
      text += name === undefined ? UNKNOWN_FACE_TEXT : `[${name}]`;
    }
  }
  return text;
}

/**
 * Received text as a bot wants it: entities unescaped, `\r\n` and `\r` as `\n`, no-break spaces
 * as spaces. Message text and contact names (§3: "Names carry HTML entities and \u00a0") share it.
 */
export function normalizeReceivedText(s: string): string {
  return unescapeHtml(s)
    .replace(/\r\n?/g, '\n')
    .replace(/\u00a0/g, ' ');
}

const NAMED_ENTITIES = new Map([
  ['amp', '&'],
  ['lt', '<'],
  ['gt', '>'],
  ['quot', '"'],
  ['apos', "'"],
  ['nbsp', '\u00a0'],
]);

/**
 * Unescapes the entities SmartQQ used (`&amp; &lt; &gt; &quot; &apos; &nbsp;`) and numeric ones
 * (`&#39;`, `&#x27;`), in one pass (`&amp;lt;` gives `&lt;`). Anything else is left as it is.
 */
export function unescapeHtml(s: string): string {
  return s.replace(/&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);/g, (entity, body: string) => {
    if (body.startsWith('#')) {
      const hex = body[1] === 'x' || body[1] === 'X';
      const codePoint = Number.parseInt(body.slice(hex ? 2 : 1), hex ? 16 : 10);
      return isScalarValue(codePoint) ? String.fromCodePoint(codePoint) : entity;
    }
    return NAMED_ENTITIES.get(body) ?? entity;
  });
}

const LONGEST_FACE_NAME = Math.max(...FACES.map((face) => face.name.length));

/**
 * Outgoing text to segments: `/微笑` and `[微笑]` become faces. After a slash the longest face
 * name at that position wins (`/左哼哼x` is 左哼哼, not a shorter name). Unknown markers stay text.
 */
export function parseFaceMarkers(text: string): Segment[] {
  const segments: Segment[] = [];
  let textStart = 0;
  let i = 0;
  while (i < text.length) {
    const marker = faceMarkerAt(text, i);
    if (marker === undefined) {
      i++;
      continue;
    }
    appendText(segments, text.slice(textStart, i));
    segments.push(faceSegment(marker.id));
    i += marker.length;
    textStart = i;
  }
  appendText(segments, text.slice(textStart));
  return segments;
}

function faceMarkerAt(text: string, i: number): { id: number; length: number } | undefined {
  if (text[i] === '/') {
    for (let length = Math.min(LONGEST_FACE_NAME, text.length - i - 1); length > 0; length--) {
      const id = faceIdByName(text.slice(i + 1, i + 1 + length));
      if (id !== undefined) return { id, length: length + 1 };
    }
  } else if (text[i] === '[') {
    const close = text.indexOf(']', i + 1);
    if (close !== -1 && close - i - 1 <= LONGEST_FACE_NAME) {
      const id = faceIdByName(text.slice(i + 1, close));
      if (id !== undefined) return { id, length: close - i + 1 };
    }
  }
  return undefined;
}

/**
 * The `content` value of send_buddy_msg2 / send_qun_msg2 / send_discu_msg2: the JSON text of the
 * items with the font item last (a server check, §5). Adjacent text segments are joined and empty
 * ones dropped.
 */
export function encodeContent(segments: readonly Segment[], font: Font = DEFAULT_FONT): string {
  checkSegments(segments);
  checkFont(font);
  const items: Array<string | readonly [string, unknown]> = [];
  for (const segment of segments) {
    if (segment.type === 'text') {
      if (segment.text === '') continue;
      const last = items.at(-1);
      if (typeof last === 'string') items[items.length - 1] = last + segment.text;
      else items.push(segment.text);
    } else {
      items.push(['face', segment.id]);
    }
  }
  const { name, size, style, color } = font;
  items.push(['font', { name, size, style: [...style], color }]);
  return JSON.stringify(items);
}

type Unit = { readonly bytes: number } & (
  | { readonly kind: 'char'; readonly char: string; readonly space: boolean }
  | { readonly kind: 'face'; readonly segment: Segment & { type: 'face' } }
);

/**
 * Splits a message into parts of at most `maxBytes` each, counting text as its UTF-8 bytes and a
 * face as the UTF-8 bytes of its `["face",N]` item (11 for a two-digit id) — what it adds to the
 * wire content. A part ends after the last whitespace character within its final
 * `SPLIT_LOOKBACK_BYTES` bytes if there is one, else at the last code point that fits (a surrogate
 * pair or a multi-byte character is never cut; a face is never split).
 *
 * Nothing is dropped: the whitespace at a cut stays at the end of the earlier part, so the parts'
 * text joined is exactly the original. Empty input gives no parts; no part is empty.
 */
export function splitForSending(segments: readonly Segment[], maxBytes = SEND_MAX_BYTES): Segment[][] {
  if (!Number.isInteger(maxBytes) || maxBytes < 4) {
    throw new RangeError(`maxBytes must be an integer of at least 4 (one character), got ${maxBytes}`);
  }
  const units = toUnits(segments, maxBytes);
  const parts: Segment[][] = [];
  let start = 0;
  while (start < units.length) {
    let end = start;
    let fill = 0;
    while (end < units.length && fill + (units[end] as Unit).bytes <= maxBytes) {
      fill += (units[end] as Unit).bytes;
      end++;
    }
    const cut = end === units.length ? end : (whitespaceCut(units, start, end, fill) ?? end);
    parts.push(toSegments(units, start, cut));
    start = cut;
  }
  return parts;
}

function toUnits(segments: readonly Segment[], maxBytes: number): Unit[] {
  checkSegments(segments);
  const units: Unit[] = [];
  for (const segment of segments) {
    if (segment.type === 'text') {
      for (const char of segment.text) {
        units.push({ kind: 'char', char, bytes: utf8Length(char), space: /\s/.test(char) });
      }
    } else {
      const bytes = utf8Length(JSON.stringify(['face', segment.id]));
      if (bytes > maxBytes)
        throw new RangeError(`a face costs ${bytes} bytes, more than maxBytes ${maxBytes}`);
      units.push({ kind: 'face', segment, bytes });
    }
  }
  return units;
}

/** The index just after the last whitespace of units[start, end) that ends within the lookback window. */
function whitespaceCut(units: readonly Unit[], start: number, end: number, fill: number): number | undefined {
  let offset = fill;
  for (let k = end - 1; k >= start && offset > fill - SPLIT_LOOKBACK_BYTES; k--) {
    const unit = units[k] as Unit;
    if (unit.kind === 'char' && unit.space) return k + 1;
    offset -= unit.bytes;
  }
  return undefined;
}

function toSegments(units: readonly Unit[], start: number, end: number): Segment[] {
  const segments: Segment[] = [];
  let text = '';
  for (let k = start; k < end; k++) {
    const unit = units[k] as Unit;
    if (unit.kind === 'char') {
      text += unit.char;
    } else {
      appendText(segments, text);
      text = '';
      segments.push({ ...unit.segment });
    }
  }
  appendText(segments, text);
  return segments;
}

function appendText(segments: Segment[], text: string): void {
  if (text === '') return;
  const last = segments.at(-1);
  if (last?.type === 'text') last.text += text;
  else segments.push({ type: 'text', text });
}

function faceSegment(id: number): Segment {
  const name = faceName(id);
  return name === undefined ? { type: 'face', id } : { type: 'face', id, name };
}

/**
 * Segments come from code (the replier, the send API), so their types are checked at run time too:
 * a bad one is a `ContentError` naming it, never a TypeError from deep inside the codec.
 */
function checkSegments(segments: unknown): asserts segments is readonly Segment[] {
  if (!Array.isArray(segments)) throw new ContentError(`segments are ${describe(segments)}, not an array`);
  segments.forEach((segment: unknown, index) => {
    const problem = segmentProblem(segment);
    if (problem !== undefined) throw new ContentError(`segment ${index}: ${problem}`);
  });
}

function segmentProblem(segment: unknown): string | undefined {
  if (typeof segment !== 'object' || segment === null || Array.isArray(segment)) {
    return `${describe(segment)}, not a segment`;
  }
  const { type, text, id, name } = segment as Record<string, unknown>;
  if (type === 'text') return typeof text === 'string' ? undefined : `text is ${describe(text)}`;
  if (type !== 'face')
    return `type is ${typeof type === 'string' ? JSON.stringify(type.slice(0, 20)) : describe(type)}`;
  if (!isFaceId(id)) return `face id is ${describe(id)}`;
  return name === undefined || typeof name === 'string' ? undefined : `face name is ${describe(name)}`;
}

function checkFont(font: unknown): asserts font is Font {
  const f = (typeof font === 'object' && font !== null ? font : {}) as Record<string, unknown>;
  const ok =
    typeof f.name === 'string' &&
    typeof f.size === 'number' &&
    Number.isFinite(f.size) &&
    Array.isArray(f.style) &&
    f.style.length === 3 &&
    f.style.every((n) => typeof n === 'number' && Number.isFinite(n)) &&
    typeof f.color === 'string';
  if (!ok)
    throw new ContentError(`font is ${describe(font)}, not a font (name, size, style [3 numbers], color)`);
}

function isFaceId(id: unknown): id is number {
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0;
}

function isScalarValue(codePoint: number): boolean {
  return codePoint > 0 && codePoint <= 0x10ffff && !(codePoint >= 0xd800 && codePoint <= 0xdfff);
}

/** UTF-8 length; a lone surrogate counts 3, as the U+FFFD an encoder puts in its place. */
function utf8Length(s: string): number {
  let bytes = 0;
  for (const char of s) {
    const codePoint = char.codePointAt(0) as number;
    bytes += codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
  }
  return bytes;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return `the number ${value}`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
