/**
 * Random values shaped like the real ones: 32-bit ids, hex tokens, cookie values, the psessionid.
 */
import { randomBytes, randomInt } from 'node:crypto';

const MIN_ID = 100_000_000;
const MAX_ID = 0xffffffff;

/** A random 32-bit id (uin, gid, code, did: real ones fit in 32 bits) not in `taken`. */
export function randomId(taken: ReadonlySet<number>): number {
  for (;;) {
    const id = randomInt(MIN_ID, MAX_ID + 1);
    if (!taken.has(id)) return id;
  }
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

const COOKIE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-';

export function randomToken(length: number, alphabet = COOKIE_ALPHABET): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** The number shown in ptqrlogin messages, e.g. `二维码未失效。(473959432)`. */
export function randomTraceNumber(): number {
  return randomInt(100_000_000, 4_300_000_000);
}

/**
 * The psessionid is the hex of an Erlang external term `{Pid, Uin, Skey, Vfwebqq}`
 * (docs/protocol.md §2; decoded from fixtures/smartqq/get_uin_psession.txt): a pid on node
 * `connserver_webqq@<ip>`, the uin as a 4-byte small big, the skey and the vfwebqq bytes as binaries.
 */
export function buildPsessionid(uin: number, skey: string, vfwebqqHex: string): string {
  const node = Buffer.from(`connserver_webqq@10.133.${randomInt(1, 255)}.${randomInt(1, 255)}`, 'latin1');
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return b;
  };
  const uinLe = Buffer.alloc(4);
  uinLe.writeUInt32LE(uin >>> 0);
  const skeyBytes = Buffer.from(skey, 'latin1');
  const vf = Buffer.from(vfwebqqHex, 'hex');
  const nodeLen = Buffer.alloc(2);
  nodeLen.writeUInt16BE(node.length);
  return Buffer.concat([
    Buffer.from([0x83, 0x68, 0x04, 0x67, 0x64]),
    nodeLen,
    node,
    u32(randomInt(0x1000, 0x8000)),
    u32(randomInt(0x100, 0x1000)),
    Buffer.from([randomInt(1, 4), 0x6e, 0x04, 0x00]),
    uinLe,
    Buffer.from([0x6d]),
    u32(skeyBytes.length),
    skeyBytes,
    Buffer.from([0x6d]),
    u32(vf.length),
    vf,
  ]).toString('hex');
}
