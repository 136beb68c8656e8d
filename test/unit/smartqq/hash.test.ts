import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { friendListHash, hash33 } from '../../../lib/smartqq/hash.ts';

/**
 * Re-derivations written from docs/protocol.md §2 in another way, to check the implementation
 * against: exact integers (BigInt) with the 32-bit JS semantics spelled out, and bytes/hex via Buffer.
 */
function referenceHash33(s: string): number {
  let e = 0n;
  for (let i = 0; i < s.length; i++) {
    const shifted = BigInt.asIntN(32, BigInt.asIntN(32, e) << 5n);
    e = e + shifted + BigInt(s.charCodeAt(i));
  }
  return Number(BigInt.asUintN(31, e));
}

function referenceFriendListHash(uin: number, ptwebqq: string): string {
  const n = Buffer.alloc(4);
  [...Array(ptwebqq.length).keys()].forEach((i) => {
    n[i % 4] = ((n[i % 4] ?? 0) ^ ptwebqq.charCodeAt(i)) & 0xff;
  });
  const v = Buffer.alloc(4);
  v.writeUInt32BE(uin >>> 0);
  const mask = Buffer.from('ECOK', 'latin1');
  const out = Buffer.alloc(8);
  for (let i = 0; i < 4; i++) {
    out[2 * i] = n[i] ?? 0;
    out[2 * i + 1] = (v[i] ?? 0) ^ (mask[i] ?? 0);
  }
  return out.toString('hex').toUpperCase();
}

describe('hash33', () => {
  it('matches the real vector of docs/protocol.md', () => {
    expect(hash33('Qjy*mWVaseiG-qeonlAXEtSvIMfHFWHB*0QN*Axsf6AZ*xWL6uDJ*WEGSl0YJhJM')).toBe(1264130581);
  });

  it('is 0 for the empty string and small sums for short strings', () => {
    expect(hash33('')).toBe(0);
    expect(hash33('a')).toBe(97);
    // 97 + (97 << 5) + 98
    expect(hash33('ab')).toBe(3299);
  });

  it('agrees with an exact-integer re-derivation, reference vectors included', () => {
    expect(referenceHash33('Qjy*mWVaseiG-qeonlAXEtSvIMfHFWHB*0QN*Axsf6AZ*xWL6uDJ*WEGSl0YJhJM')).toBe(
      1264130581,
    );
    const qrsig = 'c1QYfW5pWiy2cBOTtVrKaY7zpQvqk0k3*Dl0UZzhXA2Zq4GKBcT9*sFb6s9ZvX4F';
    expect(hash33(qrsig)).toBe(referenceHash33(qrsig));
    expect(hash33('二维码')).toBe(referenceHash33('二维码'));
  });

  it('is always in [0, 2^31) and equal to the re-derivation (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const h = hash33(s);
        expect(Number.isInteger(h)).toBe(true);
        expect(h).toBeGreaterThanOrEqual(0);
        expect(h).toBeLessThan(2 ** 31);
        expect(h).toBe(referenceHash33(s));
      }),
    );
  });
});

describe('friendListHash', () => {
  it('matches the vectors of docs/protocol.md', () => {
    expect(friendListHash(1234, 'bar')).toBe('62456143724B0099');
    expect(
      friendListHash(329395145, '72c68bf345063680ddbeb298f09f11b3a987d1bf8caaf200906592387f2eaf77'),
    ).toBe('54565FE106645482');
  });

  it('treats an empty ptwebqq as zero bytes', () => {
    expect(friendListHash(0, '')).toBe('00450043004F004B');
    expect(friendListHash(0xffffffff, '')).toBe('00BA00BC00B000B4');
  });

  it('agrees with a Buffer-based re-derivation on the real vectors', () => {
    expect(referenceFriendListHash(1234, 'bar')).toBe('62456143724B0099');
    expect(
      referenceFriendListHash(329395145, '72c68bf345063680ddbeb298f09f11b3a987d1bf8caaf200906592387f2eaf77'),
    ).toBe('54565FE106645482');
  });

  it('is always 16 upper-case hex characters and equal to the re-derivation (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.string({ unit: 'grapheme-ascii', maxLength: 80 }),
        (uin, ptwebqq) => {
          const h = friendListHash(uin, ptwebqq);
          expect(h).toMatch(/^[0-9A-F]{16}$/);
          expect(h).toBe(referenceFriendListHash(uin, ptwebqq));
        },
      ),
    );
  });
});
