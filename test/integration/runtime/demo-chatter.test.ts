import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SmartQQClient } from '../../../lib/smartqq/index.ts';
import { DEMO_LINES, startDemoChatter } from '../../../local/runtime/demo-chatter.ts';
import type { Simulator } from '../../../local/simulator/index.ts';
import { loggedInClient, pollEvents, startSim } from '../../support/sim-control.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(20);
  }
}

let sim: Simulator;
let client: SmartQQClient;

beforeAll(async () => {
  sim = await startSim();
  client = await loggedInClient(sim);
});
afterAll(async () => {
  client.close();
  await sim.close();
});

describe('startDemoChatter', () => {
  it('says demo lines through the control API, and prints each bot message with what it answers', async () => {
    const printed: string[] = [];
    const chatter = startDemoChatter({
      simulatorUrl: sim.url,
      print: (l) => printed.push(l),
      readEveryMs: 20,
    });
    try {
      chatter.talk(60_000, [{ message: { type: 'friend', from: 'Alice', text: 'ping' }, shownAs: 'Ali' }]);
      await waitFor(() => printed.length === 1);
      const [event] = await pollEvents(client, 1);
      const book = await client.loadContacts();
      const alice = book.findFriends('Ali')[0];
      const hiking = book.groups.find((g) => g.name === 'Hiking Club');

      expect(event?.kind).toBe('friend_message');
      await client.send({ kind: 'friend', uin: alice?.uin ?? 0 }, 'pong /微笑');
      await client.send({ kind: 'group', gid: hiking?.gid ?? 0 }, 'hello, club');
      await waitFor(() => printed.length === 3);

      expect(printed).toEqual([
        '[friend] Ali: ping',
        '  ↳ bot to Ali ("ping"): pong [微笑]',
        '  ↳ bot to Hiking Club: hello, club',
      ]);
    } finally {
      chatter.close();
    }
  });

  it('has demo lines the demo world accepts', () => {
    for (const line of DEMO_LINES) expect(() => sim.injectMessage(line.message)).not.toThrow();
  });
});
