import { describe, expect, it } from 'vitest';
import type { ContactsCache, SessionRecord } from '../../../lib/pipeline/ports.ts';
import { type SessionChange, watchSession } from '../../../local/runtime/session-watch.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const contacts: ContactsCache = {
  fetchedAt: 3_000,
  linkedAt: 2_900,
  friends: [{ uin: 1, nick: 'Alice', markname: 'Ali' }],
  groups: [],
  discussions: [],
  members: {},
  selfUins: [9],
  selfNick: 'DemoBot',
};

function record(changes: Partial<SessionRecord>): SessionRecord {
  return { account: '20001', state: 'needs_qr', stateSince: 1_000, version: 1, ...changes };
}

const qr = (fetchedAt: number, png: string) => ({
  pngBase64: Buffer.from(png).toString('base64'),
  fetchedAt,
  cookies: { qrsig: 'secret' },
});

describe('watchSession', () => {
  it('reports new states, new QR codes and new contacts, once each', async () => {
    const records: (SessionRecord | undefined)[] = [
      undefined,
      record({}),
      record({ state: 'scan_pending', stateSince: 2_000, qr: qr(2_000, 'first') }),
      record({ state: 'scan_pending', stateSince: 2_000, qr: qr(2_000, 'first'), version: 2 }),
      record({ state: 'scan_pending', stateSince: 2_000, qr: qr(2_500, 'second') }),
      record({ state: 'online', stateSince: 3_000, contacts }),
      record({ state: 'needs_qr', stateSince: 4_000, reason: 'session expired (100001)', contacts }),
    ];
    let reads = 0;
    const changes: SessionChange[] = [];

    const watch = watchSession({
      sessions: { get: async () => records[Math.min(reads++, records.length - 1)] },
      account: '20001',
      intervalMs: 5,
      onChange: (change) => changes.push(change),
    });
    while (reads < records.length + 2) await sleep(5);
    watch.close();

    expect(watch.state).toBe('needs_qr');
    expect(changes.map((c) => (c.kind === 'state' ? `state ${c.state}` : c.kind))).toEqual([
      'state needs_qr',
      'state scan_pending',
      'qr',
      'qr',
      'state online',
      'contacts',
      'state needs_qr',
    ]);
    const qrs = changes.flatMap((c) => (c.kind === 'qr' ? [c.png.toString()] : []));
    expect(qrs).toEqual(['first', 'second']);
    expect(changes.at(-1)).toEqual({
      kind: 'state',
      state: 'needs_qr',
      since: 4_000,
      reason: 'session expired (100001)',
    });
    expect(JSON.stringify(changes)).not.toContain('secret');
  });

  it('stops reading on close, and reports read errors until then', async () => {
    let reads = 0;
    const errors: string[] = [];
    const watch = watchSession({
      sessions: {
        get: async () => {
          reads++;
          throw new Error('emulator gone');
        },
      },
      account: '20001',
      intervalMs: 5,
      onChange: () => {},
      onError: (err) => errors.push(err.message),
    });
    await sleep(40);

    watch.close();
    const readsAtClose = reads;
    await sleep(40);

    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(reads).toBeLessThanOrEqual(readsAtClose + 1);
  });
});
