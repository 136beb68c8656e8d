/**
 * The content codec fed arbitrary input (fast-check). Received content comes from the server and
 * outgoing segments from code, so neither is trusted: every function either answers in its own types
 * or throws a `ContentError` (or, for a `maxBytes` argument that cannot hold a part, the documented
 * `RangeError`) — never a raw TypeError from reading a field of something that is not there.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ContentError,
  DEFAULT_FONT,
  decodeContent,
  encodeContent,
  parseFaceMarkers,
  plainText,
  type Segment,
  splitForSending,
} from '../../../lib/smartqq/content.ts';

const RUNS = 300;

/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
/** Text with face markers, entities, line breaks, emoji and lone surrogates mixed in. */
const text = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 12 }),
      fc.string({ unit: codeUnit, maxLength: 4 }),
      fc.constantFrom('/微笑', '[微笑]', '/左哼哼x', '/', '[', ']', '[表情]', ' ', '\n', '\r\n', '\u00a0'),
      fc.constantFrom(
        '&amp;',
        '&lt;',
        '&#39;',
        '&#x1F600;',
        '&#xD800;',
        '&#99999999999;',
        '&nbsp;',
        '&bogus;',
      ),
      fc.constantFrom('😀', '中', 'é', 'e\u0301', '\ud800', '\udfff'),
    ),
    { maxLength: 30 },
  )
  .map((pieces) => pieces.join(''));
/** Face ids as they may come: valid ones, unknown ones, and numbers that are no id at all. */
const faceId = fc.oneof(
  fc.constantFrom(0, 14, 21, 170, 171, 999),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, -0, 1e308),
);
const anything = fc.anything({ maxDepth: 2, withNullPrototype: true, withBoxedValues: true, withMap: true });

/** A received content item: text, a font, a face, a picture, or something else. */
const receivedItem = fc.oneof(
  { weight: 3, arbitrary: text },
  { weight: 1, arbitrary: fc.tuple(fc.constant('font'), anything) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('face'), fc.oneof(faceId, anything)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('cface', 'offpic', 'pic', 'image', 'shake'), anything) },
  { weight: 1, arbitrary: fc.array(anything, { maxLength: 3 }) },
  { weight: 1, arbitrary: anything },
);
const receivedContent = fc.oneof(
  { weight: 4, arbitrary: fc.array(receivedItem, { maxLength: 8 }) },
  { weight: 1, arbitrary: anything },
);

const segment: fc.Arbitrary<Segment> = fc.oneof(
  fc.record({ type: fc.constant('text' as const), text }),
  fc.record({ type: fc.constant('face' as const), id: faceId }),
  fc.record({ type: fc.constant('face' as const), id: fc.constantFrom(14, 21), name: fc.string() }),
);
/** Segments as code may hand them over: mostly well formed, some not at all. */
const segmentsLike: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.array(segment, { maxLength: 12 }) },
  { weight: 2, arbitrary: fc.array(fc.oneof(segment, anything), { maxLength: 6 }) },
  {
    weight: 1,
    arbitrary: fc.array(
      fc.record(
        { type: fc.constantFrom('text', 'face', 'image'), text: anything, id: anything },
        { requiredKeys: [] },
      ),
      { maxLength: 4 },
    ),
  },
  { weight: 1, arbitrary: anything },
);

/** Runs `f`; a thrown error must be one of the allowed types. */
function typedOnly<T>(f: () => T, allowRange = false): T | undefined {
  try {
    return f();
  } catch (err) {
    const allowed = err instanceof ContentError || (allowRange && err instanceof RangeError);
    if (!allowed) throw new Error(`untyped error: ${String(err)}`, { cause: err });
    return undefined;
  }
}

const isSegment = (s: unknown): boolean => {
  if (typeof s !== 'object' || s === null) return false;
  const seg = s as Record<string, unknown>;
  if (seg.type === 'text') return typeof seg.text === 'string' && seg.text !== '';
  return seg.type === 'face' && Number.isSafeInteger(seg.id) && (seg.id as number) >= 0;
};

/** What a face adds to the wire content, as `splitForSending` counts it. */
const costOf = (segments: readonly Segment[]) =>
  segments.reduce(
    (sum, s) => sum + Buffer.byteLength(s.type === 'text' ? s.text : JSON.stringify(['face', s.id])),
    0,
  );

describe('decodeContent on arbitrary received content', () => {
  it('answers segments and their plain text, or throws a ContentError', () => {
    fc.assert(
      fc.property(receivedContent, (raw) => {
        const decoded = typedOnly(() => decodeContent(raw));
        if (decoded === undefined) return;
        expect(decoded.segments.every(isSegment)).toBe(true);
        expect(typeof decoded.text).toBe('string');
        expect(decoded.text).toBe(plainText(decoded.segments));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('outgoing text: parseFaceMarkers → splitForSending → encodeContent', () => {
  it('never throws, keeps every character and face, and fits each part in maxBytes', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 30, max: 800 }), (input, maxBytes) => {
        const segments = parseFaceMarkers(input);
        expect(segments.every(isSegment)).toBe(true);
        const parts = splitForSending(segments, maxBytes);
        expect(plainText(parts.flat())).toBe(plainText(segments));
        for (const part of parts) {
          expect(part.length).toBeGreaterThan(0);
          expect(costOf(part)).toBeLessThanOrEqual(maxBytes);
          const wire = JSON.parse(encodeContent(part)) as unknown[];
          expect(wire.at(-1)).toEqual(['font', { ...DEFAULT_FONT, style: [...DEFAULT_FONT.style] }]);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('encodeContent, splitForSending and plainText on arbitrary segments', () => {
  it('answer, or throw a ContentError (a RangeError only for a maxBytes that cannot hold a part)', () => {
    fc.assert(
      fc.property(
        segmentsLike,
        fc.oneof(fc.constant(undefined), fc.integer({ min: -5, max: 900 }), fc.double()),
        fc.option(anything, { freq: 4 }),
        (segments, maxBytes, font) => {
          const asSegments = segments as Segment[];
          const encoded = typedOnly(() =>
            font === null ? encodeContent(asSegments) : encodeContent(asSegments, font as never),
          );
          if (encoded !== undefined) expect(Array.isArray(JSON.parse(encoded))).toBe(true);
          const parts = typedOnly(() => splitForSending(asSegments, maxBytes), true);
          for (const part of parts ?? []) expect(part.every(isSegment)).toBe(true);
          const plain = typedOnly(() => plainText(asSegments));
          if (plain !== undefined) expect(typeof plain).toBe('string');
        },
      ),
      { numRuns: RUNS },
    );
  });
});
