import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  escapeCq,
  MessageFormatError,
  parseCqString,
  readMessageParam,
  toCqString,
  toSendableText,
  unescapeCq,
} from '../../../lib/onebot/message.ts';

type Seg = { type: string; data: Record<string, string> };

describe('CQ code strings', () => {
  it('parses text and codes, unescaping text and values', () => {
    expect(parseCqString('hi &#91;x&#93; [CQ:face,id=14][CQ:at,qq=1000001]&amp;')).toEqual([
      { type: 'text', data: { text: 'hi [x] ' } },
      { type: 'face', data: { id: '14' } },
      { type: 'at', data: { qq: '1000001' } },
      { type: 'text', data: { text: '&' } },
    ]);
    expect(parseCqString('[CQ:share,url=a&#44;b,title=t]')).toEqual([
      { type: 'share', data: { url: 'a,b', title: 't' } },
    ]);
  });

  it('auto_escape: the whole string is text, codes and all', () => {
    expect(parseCqString('[CQ:face,id=14]', true)).toEqual([
      { type: 'text', data: { text: '[CQ:face,id=14]' } },
    ]);
  });

  it('refuses a code whose parameters are not key=value', () => {
    expect(() => parseCqString('[CQ:face,14]')).toThrow(MessageFormatError);
  });

  it('round-trips any text and faces: parse(toCqString(segments)) gives them back', () => {
    const segment = fc.oneof(
      fc.string({ minLength: 1 }).map((text): Seg => ({ type: 'text', data: { text } })),
      fc.integer({ min: 0, max: 300 }).map((id): Seg => ({ type: 'face', data: { id: String(id) } })),
    );
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), (segments) => {
        // Adjacent texts come back joined.
        const joined = segments.reduce<Seg[]>((all, s) => {
          const last = all.at(-1);
          if (s.type === 'text' && last?.type === 'text') last.data.text += s.data.text ?? '';
          else all.push({ type: s.type, data: { ...s.data } });
          return all;
        }, []);
        expect(parseCqString(toCqString(segments))).toEqual(joined);
      }),
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(unescapeCq(escapeCq(text, true))).toBe(text);
      }),
    );
  });
});

describe('what the bot sends', () => {
  it('takes a string, one segment or an array; numbers in data become strings', () => {
    expect(readMessageParam({ type: 'face', data: { id: 14 } }, false)).toEqual([
      { type: 'face', data: { id: '14' } },
    ]);
    expect(readMessageParam([{ type: 'text', data: { text: 'a' } }], false)).toHaveLength(1);
    expect(() => readMessageParam([{ data: {} }], false)).toThrow(/message\[0\]: expected a segment/);
  });

  it('text and faces anywhere, at in rooms as @name; refuses what SmartQQ cannot carry, by name', () => {
    const names = (qq: string) => (qq === '1000001' ? 'Alice' : undefined);
    const segments = parseCqString('[CQ:at,qq=1000001]hi [CQ:face,id=14]');
    expect(toSendableText(segments, 'group', names)).toBe('@Alice hi [微笑]');
    expect(toSendableText(parseCqString('[CQ:at,qq=42]x'), 'discuss', names)).toBe('@42 x');
    expect(() => toSendableText(segments, 'private', names)).toThrow(/at is for groups and discussions/);
    expect(() => toSendableText(parseCqString('[CQ:image,file=a.png]'), 'private', names)).toThrow(
      /segment type "image" is not supported by SmartQQ/,
    );
    expect(() => toSendableText(parseCqString('[CQ:face,id=99999]'), 'private', names)).toThrow(
      /not a QQ face/,
    );
    expect(() => toSendableText(parseCqString('  '), 'private', names)).toThrow(/empty/);
  });
});
