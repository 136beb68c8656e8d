import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SmartQQClient } from '../../../lib/smartqq/index.ts';
import { DEMO_LINES, demoLinesFor, startDemoChatter } from '../../../local/runtime/demo-chatter.ts';
import type { Simulator } from '../../../local/simulator/index.ts';
import { loggedInClient, pollEvents, startSim } from '../../support/sim-control.ts';

let sim: Simulator;
let client: SmartQQClient;
let second: SmartQQClient;

beforeAll(async () => {
  sim = await startSim();
  client = await loggedInClient(sim);
  // The demo world's second account (BookBot): the demo speaks to it too.
  second = await loggedInClient(sim, {}, 400, 20_002);
});
afterAll(async () => {
  client.close();
  second.close();
  await sim.close();
});

describe('startDemoChatter', () => {
  it('says its lines through the control API, one every period, round after round', async () => {
    const errors: string[] = [];
    const chatter = startDemoChatter({
      simulatorUrl: sim.url,
      everyMs: 100,
      lines: [
        { type: 'friend', from: 'Alice', text: 'ping' },
        { type: 'group', group: 'Hiking Club', from: 'Bob & Co', text: 'hike?' },
      ],
      onError: (e) => errors.push(e),
    });
    try {
      const events = await pollEvents(client, 3);
      expect(events.map((e) => e.kind)).toEqual(['friend_message', 'group_message', 'friend_message']);
      expect(events.map((e) => ('text' in e ? e.text : ''))).toEqual(['ping', 'hike?', 'ping']);
      expect(errors).toEqual([]);
    } finally {
      chatter.close();
    }
  });

  it('reports a line the simulator refuses, with the simulator’s reason', async () => {
    const errors: string[] = [];
    const chatter = startDemoChatter({
      simulatorUrl: sim.url,
      everyMs: 60_000,
      lines: [{ type: 'friend', from: 'Nobody Known', text: 'hi' }],
      onError: (e) => errors.push(e),
    });
    try {
      for (let i = 0; i < 100 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^demo line refused: .*Nobody Known/);
    } finally {
      chatter.close();
    }
  });

  it('has demo lines the demo world accepts, for both of its accounts', () => {
    for (const line of DEMO_LINES) expect(() => sim.injectMessage(line)).not.toThrow();
    expect(demoLinesFor(20_002, 20_001).length).toBeGreaterThanOrEqual(2);
    expect(demoLinesFor(20_001, 20_001).length + demoLinesFor(20_002, 20_001).length).toBe(DEMO_LINES.length);
  });
});
