/**
 * The floor of `npm run bench:e2e`: the least a SmartQQ bot can do — log in, poll, and answer each
 * message the moment its poll answer is read, with no queue, no rules, no storage and no pacing.
 * Nothing the pipeline does can be faster than this on the same simulator.
 */
import { SmartQQClient, singleBaseHosts } from '../../lib/smartqq/index.ts';
import type { PollEvent } from '../../lib/smartqq/poll.ts';
import type { SendTarget } from '../../lib/smartqq/send.ts';

export interface FloorBot {
  stop(): Promise<void>;
}

export async function startFloorBot(smartqqUrl: string, holdMs: number): Promise<FloorBot> {
  const client = new SmartQQClient({
    hosts: singleBaseHosts(smartqqUrl),
    pollLimits: { maxHoldMs: holdMs, marginMs: 2_000 },
  });
  // The simulator scans and allows the QR by itself (autoScanAfterMs).
  await client.loginWithQr({ intervalMs: 50, onQr: () => {} });
  let running = true;
  const sends = new Set<Promise<unknown>>();
  const loop = (async () => {
    while (running) {
      const outcome = await client.poll({ budgetMs: holdMs + 5_000 }).catch(() => undefined);
      if (outcome?.kind !== 'events') continue;
      for (const event of outcome.events) {
        const answer = reply(event);
        if (!answer) continue;
        const send = client.send(answer.target, answer.text).catch(() => undefined);
        sends.add(send);
        void send.finally(() => sends.delete(send));
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await Promise.race([loop, new Promise((resolve) => setTimeout(resolve, holdMs + 1_000))]);
      await Promise.all(sends);
      client.close();
    },
  };
}

function reply(event: PollEvent): { target: SendTarget; text: string } | undefined {
  if (!('text' in event)) return undefined;
  const id = /^bench (\S+)$/.exec(event.text)?.[1];
  if (!id) return undefined;
  const text = `ack ${id}`;
  switch (event.kind) {
    case 'friend_message':
      return { target: { kind: 'friend', uin: event.fromUin }, text };
    case 'group_message':
      return { target: { kind: 'group', gid: event.gid }, text };
    case 'discussion_message':
      return { target: { kind: 'discussion', did: event.did }, text };
    default:
      return undefined;
  }
}
