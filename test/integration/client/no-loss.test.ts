/**
 * Nothing received is lost, nothing duplicated: 1,000 injected messages through poll2 with random
 * empty polls, 502/504 and 116 rotations, proven from the simulator's own counters.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SmartQQClient } from '../../../lib/smartqq/index.ts';
import type { Simulator } from '../../../local/simulator/index.ts';
import { prng } from '../../support/prng.ts';
import {
  control,
  counters,
  demoAccount,
  loggedInClient,
  nickOf,
  startSim,
} from '../../support/sim-control.ts';

const account = demoAccount;

const TOTAL = 1_000;
const HOLD_MS = 150;

function injection(i: number, random: () => number): object {
  const text = `soak-${i}`;
  const pick = random();
  if (pick < 0.4) {
    const friend = account.friends[Math.floor(random() * account.friends.length)];
    return { type: 'friend', from: nickOf(friend?.qq ?? 0), text };
  }
  if (pick < 0.8) {
    const group = account.groups[Math.floor(random() * account.groups.length)];
    const members = group?.members.filter((m) => m.qq !== account.qq) ?? [];
    const member = members[Math.floor(random() * members.length)];
    return { type: 'group', group: group?.name, from: nickOf(member?.qq ?? 0), text };
  }
  const discussion = account.discussions[0];
  const members = discussion?.members.filter((m) => m !== account.qq) ?? [];
  return { type: 'discussion', discussion: discussion?.name, from: nickOf(members[0] ?? 0), text };
}

let sim: Simulator;
let client: SmartQQClient;
beforeAll(async () => {
  sim = await startSim({ pollHoldMs: HOLD_MS });
  client = await loggedInClient(sim, {}, HOLD_MS);
});
afterAll(async () => {
  client.close();
  await sim.close();
});

it('delivers 1,000 messages exactly once through empty polls, 502/504 and 116', {
  timeout: 120_000,
}, async () => {
  const seed = Number(process.env.SOAK_SEED ?? 20261128);
  const random = prng(seed);
  const base = await counters(sim);
  const received = new Map<string, number>();
  const outcomes = new Map<string, number>();
  let injected = 0;

  const injector = (async () => {
    while (injected < TOTAL) {
      const roll = random();
      if (roll < 0.08)
        await control(sim, 'POST', 'faults', { endpoint: 'poll2', http: random() < 0.5 ? 502 : 504 });
      else if (roll < 0.12) await control(sim, 'POST', 'faults', { endpoint: 'poll2', retcode: 116 });
      // Now and then a pause longer than a hold, so the poller sees empty polls too.
      if (random() < 0.05) await new Promise((r) => setTimeout(r, HOLD_MS * 1.5));
      const burst = 1 + Math.floor(random() * 8);
      for (let b = 0; b < burst && injected < TOTAL; b++) {
        await control(sim, 'POST', 'messages', injection(injected, random));
        injected++;
      }
    }
  })();

  const deadline = Date.now() + 100_000;
  while (
    Date.now() < deadline &&
    (injected < TOTAL || [...received.values()].reduce((a, b) => a + b, 0) < TOTAL)
  ) {
    const outcome = await client.poll({ budgetMs: client.pollNeedsMs });
    outcomes.set(outcome.kind, (outcomes.get(outcome.kind) ?? 0) + 1);
    if (outcome.kind !== 'events') continue;
    for (const event of outcome.events) {
      if ('text' in event) received.set(event.text, (received.get(event.text) ?? 0) + 1);
    }
  }
  await injector;

  const after = await counters(sim);
  const duplicates = [...received.entries()].filter(([, n]) => n > 1);
  const missing = Array.from({ length: TOTAL }, (_, i) => `soak-${i}`).filter((t) => !received.has(t));
  expect({ seed, missing: missing.slice(0, 5), duplicates: duplicates.slice(0, 5) }).toEqual({
    seed,
    missing: [],
    duplicates: [],
  });
  expect(received.size).toBe(TOTAL);
  expect(after.eventsInjected - base.eventsInjected).toBe(TOTAL);
  expect(after.eventsDelivered - base.eventsDelivered).toBe(TOTAL);
  expect(after.eventsLost - base.eventsLost).toBe(0);
  expect(after.duplicatesDelivered - base.duplicatesDelivered).toBe(0);
  expect(after.eventsQueued).toBe(0);
  // The run really went through the faults it claims to.
  expect(outcomes.get('nothing_yet') ?? 0).toBeGreaterThan(0);
  expect(outcomes.get('ptwebqq_rotated') ?? 0).toBeGreaterThan(0);
});
