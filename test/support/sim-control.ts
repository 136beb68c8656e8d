/**
 * Test helpers around the SmartQQ simulator: its HTTP control API (`/_sim/*`) and a logged-in client.
 */

import { SmartQQClient, type SmartQQClientOptions, singleBaseHosts } from '../../lib/smartqq/index.ts';
import demoWorld from '../../local/demo-world.json' with { type: 'json' };
import { type Simulator, type SimulatorOptions, startSimulator } from '../../local/simulator/index.ts';

export { demoWorld };

/** The demo world's first account, typed the way the tests read it. */
export interface DemoAccount {
  qq: number;
  nick: string;
  friends: { qq: number; markname?: string; category?: string }[];
  groups: { name: string; owner?: number; members: { qq: number; card?: string }[] }[];
  discussions: { name: string; members: number[] }[];
}
export const demoAccount = demoWorld.accounts[0] as unknown as DemoAccount;
const demoPeople = demoWorld.people as { qq: number; nick: string }[];

/** The nick of a person of the demo world (or of the bot account itself). */
export function nickOf(qq: number): string {
  return demoPeople.find((p) => p.qq === qq)?.nick ?? (qq === demoAccount.qq ? demoAccount.nick : '');
}

/** Calls the simulator's control API and returns the parsed JSON; throws on a non-2xx answer. */
export async function control<T = unknown>(
  sim: Simulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${sim.url}/_sim/${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`control ${method} ${path}: HTTP ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface Counters {
  eventsInjected: number;
  eventsDelivered: number;
  eventsLost: number;
  duplicatesDelivered: number;
  eventsQueued: number;
  polls: number;
  sends: number;
  duplicateSends: number;
  faultsApplied: number;
}

export function counters(sim: Simulator): Promise<Counters> {
  return control<Counters>(sim, 'GET', 'counters');
}

export interface SentMessage {
  type: 'friend' | 'group' | 'discussion';
  text: string;
  to: { name: string; id: number };
  content: string;
}

export function sent(sim: Simulator): Promise<SentMessage[]> {
  return control<SentMessage[]>(sim, 'GET', 'sent');
}

export async function startSim(options: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  return startSimulator({ world: demoWorld, port: 0, pollHoldMs: 400, ...options } as SimulatorOptions);
}

/** Poll limits matching a simulator hold, so tests can poll with small budgets. */
export function limitsFor(holdMs: number) {
  return { maxHoldMs: holdMs, marginMs: 1_000 };
}

/** A client logged in through the whole QR flow, the QR scanned and allowed through the control API. */
export async function loggedInClient(
  sim: Simulator,
  options: Partial<SmartQQClientOptions> = {},
  holdMs = 400,
  /** Which account allows the QR; default the world's first. */
  account?: number,
): Promise<SmartQQClient> {
  const client = new SmartQQClient({
    hosts: singleBaseHosts(sim.url),
    pollLimits: limitsFor(holdMs),
    ...options,
  });
  await client.loginWithQr({
    intervalMs: 20,
    onQr: async () => {
      await control(sim, 'POST', 'qr', { action: 'scan' });
      await control(sim, 'POST', 'qr', { action: 'allow', ...(account === undefined ? {} : { account }) });
    },
  });
  return client;
}

/** Polls until `count` events arrived or `maxPolls` polls were made. */
export async function pollEvents(client: SmartQQClient, count: number, maxPolls = 20) {
  const events = [];
  for (let i = 0; i < maxPolls && events.length < count; i++) {
    const outcome = await client.poll({ budgetMs: client.pollNeedsMs });
    if (outcome.kind === 'events') events.push(...outcome.events);
  }
  return events;
}
