/**
 * The load of `npm run bench:e2e`, the same for the floor and the pipeline: `bench <id>` messages
 * from the demo world's friends, groups and discussion, injected into the simulator at a rate (or
 * all at once), each answered `ack <id>`; the latency of a message is from its injection to the
 * simulator taking its answer (`onSent`), in ms, into an HDR histogram.
 */
import hdr from 'hdr-histogram-js';
import { DEMO_SPEAKERS } from '../../local/demo-speakers.ts';
import type { MessageInput, Simulator } from '../../local/simulator/index.ts';
import type { SentRecord } from '../../local/simulator/sent-log.ts';

export const ACCOUNT = 20001;

export interface Scenario {
  readonly name: string;
  readonly messages: number;
  /** Messages per second; undefined: all at once (a burst). */
  readonly rate?: number;
}

export interface ScenarioResult {
  readonly scenario: Scenario;
  readonly answered: number;
  readonly answeredTwice: number;
  readonly histogram: hdr.Histogram;
  /** Answered per second, from the first injection to the last answer. */
  readonly throughput: number;
  readonly seconds: number;
}

/** Listens to the simulator's sends: the time each `ack <id>` was taken, and how often. */
export class Answers {
  readonly at = new Map<string, number>();
  readonly times = new Map<string, number>();

  onSent = (record: SentRecord, atMs: number): void => {
    const id = /^ack (\S+)$/.exec(record.text)?.[1];
    if (!id) return;
    this.times.set(id, (this.times.get(id) ?? 0) + 1);
    if (!this.at.has(id)) this.at.set(id, atMs);
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runScenario(
  sim: Simulator,
  answers: Answers,
  scenario: Scenario,
  progress: (done: number, total: number) => void,
  timeoutMs = 300_000,
): Promise<ScenarioResult> {
  const injectedAt = new Map<string, number>();
  const prefix = `${scenario.name.replace(/\W+/g, '')}-${Date.now() % 100_000}-`;
  const started = Date.now();
  const intervalMs = scenario.rate ? 1000 / scenario.rate : 0;
  for (let i = 0; i < scenario.messages; i++) {
    if (intervalMs > 0) {
      const wait = started + i * intervalMs - Date.now();
      if (wait > 0) await sleep(wait);
    }
    const id = `${prefix}${i}`;
    const conversation = DEMO_SPEAKERS[i % DEMO_SPEAKERS.length] as Omit<MessageInput, 'text'>;
    injectedAt.set(id, Date.now());
    sim.injectMessage({ ...conversation, text: `bench ${id}`, account: ACCOUNT } as MessageInput);
    if (i % 50 === 0) progress(countAnswered(injectedAt, answers), scenario.messages);
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done = countAnswered(injectedAt, answers);
    progress(done, scenario.messages);
    if (done >= scenario.messages || Date.now() > deadline) break;
    await sleep(50);
  }
  // Anything answered twice shows up a moment later: wait a little before counting.
  await sleep(500);
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000,
    numberOfSignificantValueDigits: 3,
  });
  let last = started;
  let answered = 0;
  let twice = 0;
  for (const [id, at] of injectedAt) {
    const answeredAt = answers.at.get(id);
    if (answeredAt === undefined) continue;
    answered++;
    if ((answers.times.get(id) ?? 0) > 1) twice++;
    histogram.recordValue(Math.max(1, Math.round(answeredAt - at)));
    last = Math.max(last, answeredAt);
  }
  const seconds = (last - started) / 1000;
  return {
    scenario,
    answered,
    answeredTwice: twice,
    histogram,
    throughput: seconds > 0 ? answered / seconds : 0,
    seconds,
  };
}

function countAnswered(injectedAt: Map<string, number>, answers: Answers): number {
  let n = 0;
  for (const id of injectedAt.keys()) if (answers.at.has(id)) n++;
  return n;
}
