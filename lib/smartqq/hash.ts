/**
 * The two hash functions of the SmartQQ web client (docs/protocol.md §2, "Hash functions").
 */

/** ptqrtoken = hash33(qrsig). JS semantics on purpose: `e << 5` is a 32-bit shift, the sum a double. */
export function hash33(s: string): number {
  let e = 0;
  for (let i = 0; i < s.length; i++) {
    e += (e << 5) + s.charCodeAt(i);
  }
  return e & 0x7fffffff;
}

/** The `hash` that get_user_friends2 and get_group_name_list_mask2 require, from the self uin and ptwebqq. */
export function friendListHash(uin: number, ptwebqq: string): string {
  const n = [0, 0, 0, 0];
  for (let i = 0; i < ptwebqq.length; i++) {
    n[i % 4] = (n[i % 4] as number) ^ ptwebqq.charCodeAt(i);
  }
  const v = [
    ((uin >>> 24) & 255) ^ 0x45,
    ((uin >>> 16) & 255) ^ 0x43,
    ((uin >>> 8) & 255) ^ 0x4f,
    (uin & 255) ^ 0x4b,
  ];
  let out = '';
  for (let i = 0; i < 4; i++) {
    out += hex2(n[i] as number) + hex2(v[i] as number);
  }
  return out;
}

function hex2(b: number): string {
  return (b & 255).toString(16).toUpperCase().padStart(2, '0');
}
