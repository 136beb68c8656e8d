import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MsgIdCounter, webClientMsgId } from '../../../lib/smartqq/msg-id.ts';

describe('webClientMsgId', () => {
  it('is (unix seconds % 10000) * 10000 + seq', () => {
    // 2015-12-21T08:32:55.123Z: 1450686775 s, 6775 after % 10000
    expect(webClientMsgId(1450686775123, 0)).toBe(67750000);
    expect(webClientMsgId(1450686775999, 42)).toBe(67750042);
    expect(webClientMsgId(0, 7)).toBe(7);
    expect(webClientMsgId(9999_999, 1)).toBe(99990001);
  });

  it('drops milliseconds rather than rounding them', () => {
    expect(webClientMsgId(1000, 0)).toBe(10000);
    expect(webClientMsgId(1999, 0)).toBe(10000);
  });

  it('wraps every 10000 seconds', () => {
    expect(webClientMsgId(10_000_000, 5)).toBe(5);
  });

  it('rejects a bad time or sequence', () => {
    expect(() => webClientMsgId(Number.NaN, 0)).toThrow(RangeError);
    expect(() => webClientMsgId(-1, 0)).toThrow(RangeError);
    expect(() => webClientMsgId(0, -1)).toThrow(RangeError);
    expect(() => webClientMsgId(0, 1.5)).toThrow(RangeError);
  });

  it('matches the formula for any time and sequence (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.nat({ max: 9999 }), (now, seq) => {
        const id = webClientMsgId(now, seq);
        expect(id % 10000).toBe(seq);
        expect(Math.floor(id / 10000)).toBe(Math.floor(now / 1000) % 10000);
      }),
    );
  });
});

describe('MsgIdCounter', () => {
  it('starts at 0 by default and counts up by one', () => {
    const counter = new MsgIdCounter();
    expect(counter.value).toBe(0);
    expect(counter.next()).toBe(1);
    expect(counter.next()).toBe(2);
    expect(counter.value).toBe(2);
  });

  it('starts from an injected value, such as a web-client id', () => {
    const counter = new MsgIdCounter(webClientMsgId(1450686775123, 0));
    expect(counter.value).toBe(67750000);
    expect(counter.next()).toBe(67750001);
  });

  it('is strictly increasing (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 1, max: 200 }), (start, count) => {
        const counter = new MsgIdCounter(start);
        let previous = counter.value;
        for (let i = 0; i < count; i++) {
          const id = counter.next();
          expect(id).toBeGreaterThan(previous);
          expect(counter.value).toBe(id);
          previous = id;
        }
      }),
    );
  });

  it('rejects a start that is not a safe integer and refuses to pass MAX_SAFE_INTEGER', () => {
    expect(() => new MsgIdCounter(1.5)).toThrow(RangeError);
    const counter = new MsgIdCounter(Number.MAX_SAFE_INTEGER - 1);
    expect(counter.next()).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => counter.next()).toThrow(RangeError);
  });
});
