import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ContentError,
  DEFAULT_FONT,
  decodeContent,
  encodeContent,
  normalizeReceivedText,
  parseFaceMarkers,
  plainText,
  SEND_MAX_BYTES,
  type Segment,
  splitForSending,
  unescapeHtml,
} from '../../../lib/smartqq/content.ts';
import { FACES, faceIdByName } from '../../../lib/smartqq/faces.ts';
import { fixtureJson } from '../../support/fixtures.ts';

const FONT_ITEM = ['font', { name: '宋体', size: 10, style: [0, 0, 0], color: '000000' }];
const text = (t: string): Segment => ({ type: 'text', text: t });

/** The wire cost `splitForSending` documents, computed independently. */
function cost(segments: readonly Segment[]): number {
  return segments.reduce(
    (sum, s) =>
      sum +
      (s.type === 'text' ? Buffer.byteLength(s.text, 'utf8') : Buffer.byteLength(`["face",${s.id}]`, 'utf8')),
    0,
  );
}
const joinedText = (segments: readonly Segment[]) =>
  segments.map((s) => (s.type === 'text' ? s.text : '')).join('');
const faceIds = (segments: readonly Segment[]) => segments.flatMap((s) => (s.type === 'face' ? [s.id] : []));

/** Adjacent text joined, empty text dropped, faces named: what every function here returns. */
function canonical(segments: readonly Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const s of segments) {
    if (s.type === 'face') {
      const name = FACES.find((f) => f.id === s.id)?.name;
      out.push(name === undefined ? { type: 'face', id: s.id } : { type: 'face', id: s.id, name });
    } else if (s.text !== '') {
      const last = out.at(-1);
      if (last?.type === 'text') out[out.length - 1] = text(last.text + s.text);
      else out.push(text(s.text));
    }
  }
  return out;
}

describe('decodeContent on captured poll bodies', () => {
  it.each(['poll_messages.txt', '103_response.txt'])('decodes every content in %s', (file) => {
    const body = fixtureJson(file) as { result: Array<{ poll_type: string; value: { content: unknown } }> };
    expect(body.result.map((e) => e.poll_type)).toEqual(['message', 'group_message', 'discu_message']);
    for (const event of body.result) {
      const decoded = decodeContent(event.value.content);
      expect(decoded).toEqual({ segments: [text('好啊')], text: '好啊' });
    }
  });

  it('decodes a content shaped as the send calls carry it (font last)', () => {
    const raw = ['你好', ['face', 14], FONT_ITEM];
    expect(decodeContent(raw)).toEqual({
      segments: [text('你好'), { type: 'face', id: 14, name: '微笑' }],
      text: '你好[微笑]',
    });
  });
});

describe('decodeContent', () => {
  it('unescapes HTML entities, named and numeric', () => {
    const raw = [FONT_ITEM, '&lt;b&gt; &amp; &quot;q&quot; &#39;s&#39; &apos;a&apos; &#20320;&#x597D;&#X21;'];
    expect(decodeContent(raw).text).toBe("<b> & \"q\" 's' 'a' 你好!");
  });

  it('turns &nbsp; and U+00A0 into plain spaces', () => {
    expect(decodeContent([FONT_ITEM, 'a&nbsp;b\u00a0c']).text).toBe('a b c');
  });

  it('unescapes once, not recursively', () => {
    expect(decodeContent([FONT_ITEM, '&amp;lt;']).text).toBe('&lt;');
  });

  it('turns \\r\\n and lone \\r into \\n', () => {
    expect(decodeContent([FONT_ITEM, 'a\r\nb\rc\nd\r\n']).text).toBe('a\nb\nc\nd\n');
    expect(decodeContent([FONT_ITEM, 'a&#13;&#10;b']).text).toBe('a\nb');
  });

  it('reads faces, named when the id is known and [表情] otherwise', () => {
    const decoded = decodeContent([FONT_ITEM, 'hi ', ['face', 14], ['face', 999], ' x', ['face', 21]]);
    expect(decoded.segments).toEqual([
      text('hi '),
      { type: 'face', id: 14, name: '微笑' },
      { type: 'face', id: 999 },
      text(' x'),
      { type: 'face', id: 21, name: '飞吻' },
    ]);
    expect(decoded.text).toBe('hi [微笑][表情] x[飞吻]');
  });

  it('skips the font item wherever it is, and merges the text around it', () => {
    expect(decodeContent(['a', FONT_ITEM, 'b'])).toEqual({ segments: [text('ab')], text: 'ab' });
    expect(decodeContent(['a', FONT_ITEM]).segments).toEqual([text('a')]);
    expect(decodeContent(['a', 'b', 'c']).segments).toEqual([text('abc')]);
  });

  it('gives nothing for an empty content and a picture-only message (just the font)', () => {
    expect(decodeContent([])).toEqual({ segments: [], text: '' });
    expect(decodeContent([FONT_ITEM])).toEqual({ segments: [], text: '' });
    expect(decodeContent([FONT_ITEM, ''])).toEqual({ segments: [], text: '' });
  });

  it('turns pictures and unknown items into placeholder text', () => {
    const raw = [
      FONT_ITEM,
      'look ',
      ['cface', { name: '{ABC}.jpg', file_id: 1, key: 'k', server: '1.2.3.4:80' }],
      ['offpic', { success: 1, file_path: '/x' }],
      ' and ',
      ['shake', 1],
    ];
    const decoded = decodeContent(raw);
    expect(decoded.text).toBe('look [图片][图片] and [不支持的消息]');
    expect(decoded.segments).toEqual([text('look [图片][图片] and [不支持的消息]')]);
  });

  it.each([
    ['null', null, 'content is not an array (got null)'],
    ['an object', { content: [] }, 'content is not an array (got an object)'],
    ['a string', '好啊', 'content is not an array (got a string)'],
    ['a number item', [FONT_ITEM, 1], 'content item 1 is the number 1'],
    ['a null item', ['a', null], 'content item 1 is null'],
    ['an object item', [{ face: 1 }], 'content item 0 is an object'],
    ['an empty array item', [[]], 'content item 0 is an array whose tag is undefined'],
    ['a numeric tag', [[1, 2]], 'content item 0 is an array whose tag is the number 1'],
    ['a string face id', [['face', '14']], 'content item 0: face id is a string'],
    ['a missing face id', [['face']], 'content item 0: face id is undefined'],
    ['a negative face id', [['face', -1]], 'content item 0: face id is the number -1'],
    ['a fractional face id', [['face', 1.5]], 'content item 0: face id is the number 1.5'],
  ])('rejects %s with a ContentError saying what was wrong', (_label, raw, message) => {
    expect(() => decodeContent(raw)).toThrow(ContentError);
    expect(() => decodeContent(raw)).toThrow(message);
  });

  it('names its error', () => {
    expect(new ContentError('x').name).toBe('ContentError');
  });
});

describe('unescapeHtml and normalizeReceivedText', () => {
  it('keeps &nbsp; as U+00A0 (pure unescaping); normalizeReceivedText makes it a space', () => {
    expect(unescapeHtml('a&nbsp;b')).toBe('a\u00a0b');
    expect(normalizeReceivedText('a&nbsp;b\r\nc')).toBe('a b\nc');
  });

  it('leaves unknown, invalid and prototype-named entities alone', () => {
    expect(unescapeHtml('&foo; &#0; &#xD800; &#x110000; &constructor; &toString; & amp; &amp')).toBe(
      '&foo; &#0; &#xD800; &#x110000; &constructor; &toString; & amp; &amp',
    );
  });

  it('decodes astral numeric entities', () => {
    expect(unescapeHtml('&#128512;&#x1F600;')).toBe('😀😀');
  });

  it('is case-sensitive for named entities, as HTML is', () => {
    expect(unescapeHtml('&AMP; &Lt;')).toBe('&AMP; &Lt;');
  });
});

describe('parseFaceMarkers', () => {
  it('turns /name and [name] into faces', () => {
    expect(parseFaceMarkers('/微笑')).toEqual([{ type: 'face', id: 14, name: '微笑' }]);
    expect(parseFaceMarkers('[微笑]')).toEqual([{ type: 'face', id: 14, name: '微笑' }]);
    expect(parseFaceMarkers('hi /呲牙 there [飞吻]!')).toEqual([
      text('hi '),
      { type: 'face', id: 13, name: '呲牙' },
      text(' there '),
      { type: 'face', id: 21, name: '飞吻' },
      text('!'),
    ]);
  });

  it('needs no separator after a slash marker and keeps the rest as text', () => {
    expect(parseFaceMarkers('/微笑笑死/色')).toEqual([
      { type: 'face', id: 14, name: '微笑' },
      text('笑死'),
      { type: 'face', id: 2, name: '色' },
    ]);
  });

  it('matches names of every length up to the longest (5 characters)', () => {
    expect(
      parseFaceMarkers('/高铁左车头/车厢/高铁右车头').map((s) => (s.type === 'face' ? s.id : s.text)),
    ).toEqual([153, 154, 155]);
    expect(parseFaceMarkers('/左哼哼哼')).toEqual([{ type: 'face', id: 102, name: '左哼哼' }, text('哼')]);
    expect(parseFaceMarkers('/OK/NO')).toEqual([
      { type: 'face', id: 124, name: 'OK' },
      { type: 'face', id: 123, name: 'NO' },
    ]);
  });

  it('leaves unknown markers as text', () => {
    expect(parseFaceMarkers('/xyz [xyz] [] / [微笑 微笑] http://a/b')).toEqual([
      text('/xyz [xyz] [] / [微笑 微笑] http://a/b'),
    ]);
    expect(parseFaceMarkers('[[微笑]]')).toEqual([
      text('['),
      { type: 'face', id: 14, name: '微笑' },
      text(']'),
    ]);
    expect(parseFaceMarkers('/ok')).toEqual([text('/ok')]);
  });

  it('gives no segments for empty text and one for plain text', () => {
    expect(parseFaceMarkers('')).toEqual([]);
    expect(parseFaceMarkers('plain 文本')).toEqual([text('plain 文本')]);
  });

  it('reads exactly the known markers, whatever surrounds them (property)', () => {
    const piece = fc.oneof(
      fc.constantFrom(
        '/微笑',
        '[微笑]',
        '/左哼哼',
        '[OK]',
        '/OK',
        '/',
        '[',
        ']',
        '/xyz',
        '[xyz]',
        '微',
        '笑',
        ' ',
      ),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    );
    fc.assert(
      fc.property(fc.string({ unit: piece, maxLength: 40 }), (s) => {
        const segments = parseFaceMarkers(s);
        // Rendering every face as /name gives the input with its known [name] markers as /name.
        const rendered = segments.map((seg) => (seg.type === 'text' ? seg.text : `/${seg.name}`)).join('');
        const slashed = s.replace(/\[([^[\]]*)\]/g, (marker, name: string) =>
          faceIdByName(name) === undefined ? marker : `/${name}`,
        );
        expect(rendered).toBe(slashed);
        expect(canonical(segments)).toEqual(segments);
      }),
    );
  });
});

describe('encodeContent', () => {
  it('gives a JSON string with text, faces, and the default font last', () => {
    const encoded = encodeContent([text('你好 '), { type: 'face', id: 14, name: '微笑' }, text('!')]);
    expect(typeof encoded).toBe('string');
    expect(encoded).toBe(
      '["你好 ",["face",14],"!",["font",{"name":"宋体","size":10,"style":[0,0,0],"color":"000000"}]]',
    );
    const items = JSON.parse(encoded) as unknown[];
    expect(items.at(-1)).toEqual(FONT_ITEM);
  });

  it('puts a given font last, with only the font fields', () => {
    const font = { ...DEFAULT_FONT, name: '微软雅黑', size: 12, extra: 'dropped' };
    const items = JSON.parse(encodeContent([text('x')], font)) as unknown[];
    expect(items).toEqual(['x', ['font', { name: '微软雅黑', size: 12, style: [0, 0, 0], color: '000000' }]]);
  });

  it('joins adjacent text and drops empty text', () => {
    expect(JSON.parse(encodeContent([text('a'), text(''), text('b')]))).toEqual(['ab', FONT_ITEM]);
    expect(JSON.parse(encodeContent([]))).toEqual([FONT_ITEM]);
  });

  it('escapes what JSON needs escaped', () => {
    const encoded = encodeContent([text('say "hi"\n\\ </script>')]);
    expect(JSON.parse(encoded)).toEqual(['say "hi"\n\\ </script>', FONT_ITEM]);
  });

  it('rejects a face id that is not a non-negative integer', () => {
    expect(() => encodeContent([{ type: 'face', id: -1 }])).toThrow(ContentError);
    expect(() => encodeContent([{ type: 'face', id: Number.NaN }])).toThrow(ContentError);
  });

  it('checks segments and the font at run time: a ContentError naming the bad one, not a TypeError', () => {
    const bad = (value: unknown) => value as Segment[];
    expect(() => encodeContent(bad(null))).toThrow(new ContentError('segments are null, not an array'));
    expect(() => encodeContent(bad([text('a'), null]))).toThrow(
      new ContentError('segment 1: null, not a segment'),
    );
    expect(() => encodeContent(bad([{ type: 'text', text: 5 }]))).toThrow(
      new ContentError('segment 0: text is the number 5'),
    );
    expect(() => encodeContent(bad([{ type: 'image' }]))).toThrow(
      new ContentError('segment 0: type is "image"'),
    );
    expect(() => encodeContent(bad([{ type: 'face', id: 14, name: 7 }]))).toThrow(
      new ContentError('segment 0: face name is the number 7'),
    );
    expect(() => encodeContent([], bad([]) as never)).toThrow(/^font is an array, not a font/);
    expect(() => encodeContent([], { ...DEFAULT_FONT, style: [0, 0] as never })).toThrow(ContentError);
    expect(() => splitForSending(bad([{ type: 'text', text: 5 }]))).toThrow(ContentError);
    expect(() => splitForSending(bad('text'))).toThrow(ContentError);
    expect(() => plainText(bad([undefined]))).toThrow(ContentError);
  });

  it('round-trips through decodeContent (property)', () => {
    // Received text is unescaped and normalised, so the text here avoids what decoding changes.
    const plainChar = fc
      .string({ unit: 'binary', minLength: 1, maxLength: 1 })
      .filter((c) => c !== '&' && c !== '\r' && c !== '\u00a0');
    const segment: fc.Arbitrary<Segment> = fc.oneof(
      fc.string({ unit: plainChar, maxLength: 30 }).map(text),
      fc.oneof(fc.constantFrom(...FACES.map((f) => f.id)), fc.nat({ max: 400 })).map((id) => ({
        type: 'face' as const,
        id,
      })),
    );
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 12 }), (segments) => {
        const decoded = decodeContent(JSON.parse(encodeContent(segments)));
        expect(decoded.segments).toEqual(canonical(segments));
        expect(decoded.text).toBe(plainText(segments));
      }),
    );
  });
});

describe('splitForSending', () => {
  const mixed = (n: number, unit: string) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);

  it.each([
    ['with whitespace', mixed(2000, 'Hello 世界, this is a 测试消息 number 42。 ')],
    ['without whitespace', mixed(2000, 'abc世界你好XYZ。１２３')],
    ['with newlines only', mixed(2000, '第一行content\n')],
  ])('splits a 2,000-character message %s into parts of at most 720 bytes', (_label, message) => {
    expect(message).toHaveLength(2000);
    const parts = splitForSending([text(message)]);
    expect(parts.length).toBeGreaterThanOrEqual(Math.ceil(Buffer.byteLength(message) / SEND_MAX_BYTES));
    for (const part of parts) {
      expect(part.length).toBeGreaterThan(0);
      expect(cost(part)).toBeLessThanOrEqual(720);
    }
    expect(parts.map(joinedText).join('')).toBe(message);
  });

  it('cuts after the last whitespace when it is in the final 100 bytes', () => {
    const message = mixed(2000, 'Hello 世界, this is a 测试消息 number 42。 ');
    const parts = splitForSending([text(message)]);
    for (const part of parts.slice(0, -1)) {
      expect(joinedText(part)).toMatch(/\s$/);
      expect(cost(part)).toBeGreaterThan(620);
    }
  });

  it('fills parts up to the last whole character when there is no whitespace', () => {
    const message = mixed(2000, 'abc世界你好XYZ。１２３');
    const parts = splitForSending([text(message)]);
    for (const part of parts.slice(0, -1)) expect(cost(part)).toBeGreaterThan(720 - 3);
  });

  it('uses exactly the whitespace in the window and ignores whitespace further back', () => {
    const near = `${'x'.repeat(650)} ${'y'.repeat(300)}`;
    expect(splitForSending([text(near)]).map(joinedText)).toEqual([`${'x'.repeat(650)} `, 'y'.repeat(300)]);
    // The window is bytes 621..720 of the part: a space that is byte 621 counts, byte 620 does not.
    const edgeIn = `${'x'.repeat(620)} ${'y'.repeat(200)}`;
    expect(splitForSending([text(edgeIn)]).map(joinedText)[0]).toBe(`${'x'.repeat(620)} `);
    const edgeOut = `${'x'.repeat(619)} ${'y'.repeat(200)}`;
    expect(splitForSending([text(edgeOut)]).map(joinedText)[0]).toBe(`${'x'.repeat(619)} ${'y'.repeat(100)}`);
    const beyond = `${'x'.repeat(550)} ${'y'.repeat(300)}`;
    expect(splitForSending([text(beyond)]).map((p) => cost(p))).toEqual([720, 131]);
    const far = `a ${'b'.repeat(800)}`;
    expect(splitForSending([text(far)]).map(joinedText)).toEqual([`a ${'b'.repeat(718)}`, 'b'.repeat(82)]);
  });

  it('keeps a part of exactly maxBytes whole', () => {
    expect(splitForSending([text('x'.repeat(720))])).toEqual([[text('x'.repeat(720))]]);
    expect(splitForSending([text('x'.repeat(721))]).map(joinedText)).toEqual(['x'.repeat(720), 'x']);
  });

  it('never cuts a surrogate pair or a multi-byte character', () => {
    const emoji = '😀'.repeat(500);
    const parts = splitForSending([text(emoji)]).map(joinedText);
    expect(parts.map((p) => Buffer.byteLength(p))).toEqual([720, 720, 560]);
    for (const part of parts) expect(Buffer.from(part, 'utf8').toString('utf8')).toBe(part);
    const chinese = splitForSending([text('中'.repeat(241))]).map(joinedText);
    expect(chinese).toEqual(['中'.repeat(240), '中']);
  });

  it('counts a face as the bytes of its ["face",N] item and never splits it', () => {
    const face: Segment = { type: 'face', id: 14, name: '微笑' };
    expect(splitForSending([text('abcdefghi'), face], 20)).toEqual([[text('abcdefghi'), face]]);
    expect(splitForSending([text('abcdefghij'), face], 20)).toEqual([[text('abcdefghij')], [face]]);
    expect(splitForSending([face, face, face], 25)).toEqual([[face, face], [face]]);
  });

  it('gives no parts for an empty message and never an empty part', () => {
    expect(splitForSending([])).toEqual([]);
    expect(splitForSending([text('')])).toEqual([]);
    const spaces = splitForSending([text(' '.repeat(1500))]);
    expect(spaces.map(joinedText)).toEqual([' '.repeat(720), ' '.repeat(720), ' '.repeat(60)]);
  });

  it('rejects a maxBytes too small for one character or face', () => {
    expect(() => splitForSending([text('a')], 3)).toThrow(RangeError);
    expect(() => splitForSending([text('a')], 10.5)).toThrow(RangeError);
    expect(() => splitForSending([{ type: 'face', id: 14 }], 10)).toThrow(RangeError);
  });

  it('keeps every byte, respects the limit and cuts only where the rule allows (property)', () => {
    const char = fc.oneof(
      fc.constantFrom(' ', '\n', 'a', '中', '😀', '。'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    );
    const segment: fc.Arbitrary<Segment> = fc.oneof(
      { weight: 4, arbitrary: fc.string({ unit: char, maxLength: 300 }).map(text) },
      { weight: 1, arbitrary: fc.nat({ max: 200 }).map((id) => ({ type: 'face' as const, id })) },
    );
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), fc.integer({ min: 16, max: 300 }), (segments, max) => {
        const parts = splitForSending(segments, max);
        for (const part of parts) {
          expect(part.length).toBeGreaterThan(0);
          expect(cost(part)).toBeLessThanOrEqual(max);
        }
        expect(parts.map((part) => unitsOf(part).length)).toEqual(referenceCuts(unitsOf(segments), max));
        const flat = parts.flat();
        expect(joinedText(flat)).toBe(joinedText(segments));
        expect(faceIds(flat)).toEqual(faceIds(segments));
        expect(canonical(flat)).toEqual(canonical(segments));
      }),
    );
  });
});

/** Part sizes in units, straight from the rule of docs/protocol.md §5 as `splitForSending` documents it. */
function referenceCuts(units: ReadonlyArray<{ bytes: number; space: boolean }>, max: number): number[] {
  const sizes: number[] = [];
  let start = 0;
  while (start < units.length) {
    const window: Array<{ end: number; space: boolean }> = [];
    let fill = 0;
    for (const unit of units.slice(start)) {
      if (fill + unit.bytes > max) break;
      fill += unit.bytes;
      window.push({ end: fill, space: unit.space });
    }
    const rest = start + window.length === units.length;
    const lastSpace = window.findLastIndex((u) => u.space && u.end > fill - 100);
    const size = rest || lastSpace === -1 ? window.length : lastSpace + 1;
    sizes.push(size);
    start += size;
  }
  return sizes;
}

/** The indivisible units of a message (code points and faces), with their byte cost. */
function unitsOf(segments: readonly Segment[]): Array<{ bytes: number; space: boolean }> {
  return segments.flatMap((s) =>
    s.type === 'face'
      ? [{ bytes: cost([s]), space: false }]
      : [...s.text].map((c) => ({ bytes: Buffer.byteLength(c, 'utf8'), space: /\s/u.test(c) })),
  );
}
