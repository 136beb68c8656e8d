/**
 * Text as the real server put it on the wire: names and message text HTML-escaped
 * (`&amp; &lt; &gt; &quot;`), newlines as `\r\n` (docs/protocol.md §3, §6), and message content as
 * `[["font",{...}], "text", ["face",14], ...]`.
 */
import { faceName } from '../../lib/smartqq/faces.ts';

export type ContentItem = string | readonly ['face', number];

export interface Font {
  readonly color: string;
  readonly name: string;
  readonly size: number;
  readonly style: readonly number[];
}

/** The font of received messages in fixtures/smartqq/poll_messages.txt (same key order). */
export const DEFAULT_FONT: Font = { color: '000000', name: '微软雅黑', size: 10, style: [0, 0, 0] };

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function wireText(text: string): string {
  return escapeHtml(text).replace(/\r?\n/g, '\r\n');
}

/** Received content: the font first, then the items, text escaped. */
export function wireContent(items: readonly ContentItem[], font: unknown = DEFAULT_FONT): unknown[] {
  return [['font', font], ...items.map((item) => (typeof item === 'string' ? wireText(item) : item))];
}

/** Plain text of a message, faces named like `[微笑]` (unknown ids as `[face:N]`). */
export function plainText(items: readonly ContentItem[]): string {
  return items
    .map((item) => (typeof item === 'string' ? item : `[${faceName(item[1]) ?? `face:${item[1]}`}]`))
    .join('');
}
