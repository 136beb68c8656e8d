/**
 * The chaos run (issue 10): "nothing received is lost, nothing answered twice", under faults.
 *
 * This process owns what must outlive the bot: DynamoDB and SQS (emulators) and the SmartQQ
 * simulator (demo world, short hold, QR scanned by itself). The bot (the local runtime's functions,
 * `bot.ts`) runs in a child process, killed with SIGKILL at random moments and restarted a second
 * later. Meanwhile `chaos <id>` messages arrive at a steady rate from the demo world's friends,
 * groups and discussion, and simulator faults are set at random. Then, once nothing more happens,
 * the simulator's sent log and counters say what became of every message.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { noContacts } from '../../lib/pipeline/contacts-cache.ts';
import { toInboundMessage } from '../../lib/pipeline/inbound-message.ts';
import { createDynamoClients } from '../../lib/state/dynamo.ts';
import { localQueueNames, QUEUES, queueAttributes } from '../../lib/state/queues.ts';
import { localTableNames } from '../../lib/state/tables.ts';
import { DEMO_SPEAKERS } from '../../local/demo-speakers.ts';
import demoWorld from '../../local/demo-world.json' with { type: 'json' };
import {
  type Emulator,
  localSqsClient,
  startDynamoEmulator,
  startSqsEmulator,
} from '../../local/runtime/emulators.ts';
import {
  type CountersSnapshot,
  type FaultSpec,
  type MessageInput,
  type Simulator,
  SimulatorControlError,
  startSimulator,
} from '../../local/simulator/index.ts';
import type { BotConfig } from './bot.ts';
import { type Delivery, startPollTap } from './tap.ts';

export interface ChaosOptions {
  readonly messages: number;
  /** Messages injected per second. */
  readonly rate: number;
  /** A random simulator fault every so often (ms, uniform in [min, max]); none when absent. */
  readonly faultEveryMs?: readonly [number, number];
  /** A SIGKILL of the bot every so often (ms, uniform in [min, max]); none when absent. */
  readonly killEveryMs?: readonly [number, number];
  /** At most this many SIGKILLs (default: no limit). */
  readonly maxKills?: number;
  /** Only the faults of these names (`FAULT_NAMES`); default all. */
  readonly faults?: readonly string[];
  readonly restartAfterMs: number;
  /** The end: this long with no new send, nothing queued anywhere. */
  readonly quietMs: number;
  /** The whole run, injection and wait included. */
  readonly timeLimitMs: number;
  readonly pollHoldMs: number;
  /** The inbound queue's visibility timeout: the stack's 360 s shortened to the least the event source accepts (the consumer's 60 s timeout), so a batch in a killed bot comes back sooner. */
  readonly visibilityTimeoutSeconds: number;
  /** Echo of own group/discussion sends (on in the default era); off keeps the counters about test messages only. */
  readonly echo: boolean;
  readonly seed: number;
  readonly progress?: (line: string) => void;
}

export const CHAOS_DEFAULTS: ChaosOptions = {
  messages: 10_000,
  rate: 50,
  faultEveryMs: [500, 2_500],
  killEveryMs: [20_000, 45_000],
  restartAfterMs: 1_000,
  quietMs: 10_000,
  timeLimitMs: 60 * 60_000,
  pollHoldMs: 1_500,
  visibilityTimeoutSeconds: 60,
  echo: false,
  seed: Date.now() % 1_000_000,
};

export interface ChaosReport {
  readonly injected: number;
  readonly replied: number;
  /**
   * Not lost: answered with a reply the bot sent once and whose answer could not say whether it went
   * out (1202, 502/504, a reset), so it is never resent (docs/protocol.md §4), by that answer.
   */
  readonly replyOutcomeUnknown: number;
  readonly replyOutcomeUnknownBy: Readonly<Record<string, number>>;
  /**
   * What no category below explains: `unexplained` plus `unaccounted` when positive. The run's
   * verdict (with answeredTwice).
   */
  readonly lost: number;
  /**
   * Unreplied after delivery, with a reply claim in the Guards table for its event (and no send the
   * tap saw answered `sent`): a consumer claimed the reply and was killed around its send. It may
   * have gone out, so it is never resent (at most once, DESIGN.md invariant 2).
   */
  readonly claimedUnsent: number;
  /**
   * Unreplied after delivery, no reply claim, and a SIGKILL of the bot within 3 s of the delivery:
   * the poll answer went to a bot killed before it published the message to the inbound queue.
   */
  readonly killedBeforePublish: number;
  /** Unreplied after delivery and set aside in the inbound DLQ (listed in `dlq`). */
  readonly inDlq: number;
  /** Unreplied after delivery with none of the reasons above. */
  readonly unexplained: number;
  /**
   * Unreplied that no poll2 answer carried, less those the counters explain (test messages dropped
   * at a new login, eventsLost): still queued at the end, or a delivery the tap missed. Negative when
   * the counters count events that were not test messages.
   */
  readonly unaccounted: number;
  /** Reply claims (`idem#reply|…`) in the Guards table, and those matched to a test message's event. */
  readonly replyClaims: { readonly total: number; readonly matched: number };
  /** Test messages dropped at a new login: eventsDropped less the kick_message events dropped. */
  readonly droppedMessages: number;
  readonly answeredTwice: number;
  /** Test messages seen in a poll2 answer (the tap), and those seen more than once. */
  readonly deliveredSeen: number;
  readonly deliveredTwiceSeen: number;
  /** Unreplied test messages a poll2 answer carried (lost by the bot), and those none did (dropped or queued). */
  readonly deliveredUnreplied: number;
  readonly neverDelivered: number;
  /** kick_message events injected: they count in the simulator's event counters too. */
  readonly kicks: number;
  readonly counters: CountersSnapshot;
  /** QR logins and sessions (login2) the simulator's state showed. */
  readonly logins: number;
  readonly sessions: number;
  readonly kills: number;
  readonly faults: Readonly<Record<string, number>>;
  readonly dlq: readonly DlqRecord[];
  /**
   * Unreplied ids a poll2 answer carried (the unexplained first), with their category, conversation,
   * reply claims and sends, and what happened shortly before they were injected.
   */
  readonly lostSample: readonly string[];
  readonly twiceSample: readonly string[];
  readonly botNotices: readonly string[];
  readonly timedOut: boolean;
  readonly seconds: number;
}

/** A record in the inbound DLQ: the consumer's `reason` when it put it there itself (dead-letter.ts). */
export interface DlqRecord {
  readonly id: string;
  readonly receiveCount: string;
  readonly reason?: string;
}

const ACCOUNT = 20001;
/** A SIGKILL this soon after a delivery may have taken the poll answer with it, unpublished. */
const KILL_AFTER_DELIVERY_MS = 3_000;
/**
 * The tap notes an answer once it has it all, and may only then see that the bot went: an answer
 * noted this long after a SIGKILL went to the killed bot too (a new one starts restartAfterMs later).
 */
const KILL_BEFORE_NOTED_MS = 1_000;
const BOT_SCRIPT = fileURLToPath(new URL('./bot.ts', import.meta.url));

/** The AWS SDK's warning about Node 20, in every child's output. */
const NODE_WARNING =
  /NodeVersionSupportWarning|versions published after|will require node|To continue receiving|security updates please|More information can be found|--trace-warnings/;

const SENDS = ['send_buddy_msg2', 'send_qun_msg2', 'send_discu_msg2'];

type Chaos = { name: string; apply(sim: Simulator, pick: <T>(xs: readonly T[]) => T): void };

const fault = (name: string, spec: (pick: <T>(xs: readonly T[]) => T) => FaultSpec): Chaos => ({
  name,
  apply: (sim, pick) => sim.addFaults(spec(pick)),
});

/** The simulator faults, one picked at random each time. */
const FAULTS: readonly Chaos[] = [
  fault('poll2 retcode 100012', () => ({ endpoint: 'poll2', retcode: 100012 })),
  fault('poll2 retcode 121', () => ({ endpoint: 'poll2', retcode: 121 })),
  fault('poll2 retcode 103', () => ({ endpoint: 'poll2', retcode: 103 })),
  fault('poll2 retcode 116', () => ({ endpoint: 'poll2', retcode: 116 })),
  fault('poll2 http 502', () => ({ endpoint: 'poll2', http: 502 })),
  fault('poll2 http 504', () => ({ endpoint: 'poll2', http: 504 })),
  fault('poll2 http 404', () => ({ endpoint: 'poll2', http: 404 })),
  fault('poll2 delay', () => ({ endpoint: 'poll2', delayMs: 2_000 })),
  fault('poll2 reset', () => ({ endpoint: 'poll2', reset: true })),
  fault('send retcode 100012', (pick) => ({ endpoint: pick(SENDS), retcode: 100012 })),
  fault('send retcode 121', (pick) => ({ endpoint: pick(SENDS), retcode: 121 })),
  fault('send retcode 103', (pick) => ({ endpoint: pick(SENDS), retcode: 103 })),
  fault('send http 502', (pick) => ({ endpoint: pick(SENDS), http: 502 })),
  fault('send http 504', (pick) => ({ endpoint: pick(SENDS), http: 504 })),
  fault('send http 404', (pick) => ({ endpoint: pick(SENDS), http: 404 })),
  fault('send delay', (pick) => ({ endpoint: pick(SENDS), delayMs: 2_000 })),
  fault('send reset', (pick) => ({ endpoint: pick(SENDS), reset: true })),
  fault('send 1202 delivered', (pick) => ({ endpoint: pick(SENDS), retcode: 1202, delivered: true })),
  fault('send 1202 not delivered', (pick) => ({ endpoint: pick(SENDS), retcode: 1202, delivered: false })),
  { name: 'kick', apply: (sim) => sim.kick(ACCOUNT) },
  { name: 'expire session (new QR login)', apply: (sim) => sim.expireSession(ACCOUNT) },
];

/** A handler's JSON log line as `level service: message`; other lines as they are (trimmed). */
function noticeKey(line: string): string {
  const json = line.replace(/^bot: .*?(?=\{)/, '');
  try {
    const entry = JSON.parse(json) as { level?: string; service?: string; message?: string };
    if (entry.message) return `${entry.level ?? '?'} ${entry.service ?? '?'}: ${entry.message}`;
  } catch {
    // not JSON
  }
  return line.slice(0, 200);
}

export const FAULT_NAMES: readonly string[] = FAULTS.map((f) => f.name);

/**
 * The faults after which the bot knows for sure whether a reply went out: every poll2 fault, sends
 * refused with a retcode, 1202 that delivered, and the session ends (kick, expiry). The others (a
 * send answered 502/504/404, reset, slow, 1202 not delivered) leave a send uncertain, and an
 * uncertain reply is not resent (at most once, DESIGN.md invariant 2): each may lose its message.
 */
export const CERTAIN_FAULTS: readonly string[] = FAULT_NAMES.filter(
  (name) =>
    name.startsWith('poll2 ') ||
    /^send retcode /.test(name) ||
    name === 'send 1202 delivered' ||
    name === 'kick' ||
    name.startsWith('expire session'),
);

/** A small seeded PRNG (mulberry32), so a run can be replayed with --seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Happening {
  readonly at: number;
  readonly what: string;
}

export async function runChaos(input: Partial<ChaosOptions> = {}): Promise<ChaosReport> {
  const o: ChaosOptions = { ...CHAOS_DEFAULTS, ...input };
  const random = prng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const between = ([min, max]: readonly [number, number]) => min + random() * (max - min);
  const started = Date.now();
  const deadline = started + o.timeLimitMs;
  const progress = o.progress ?? (() => {});

  const stops: (() => Promise<void> | void)[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const stopAll = async () => {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch {
        // keep stopping the rest
      }
    }
    stops.length = 0;
  };
  const onSignal = () => {
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  stops.push(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });

  try {
    const dynamo: Emulator = await startDynamoEmulator(0);
    stops.push(() => dynamo.close());
    const sqsEmulator: Emulator = await startSqsEmulator(0);
    stops.push(() => sqsEmulator.close());
    const sqs = localSqsClient(sqsEmulator.endpoint);
    stops.push(() => sqs.destroy());
    const queues = await createChaosQueues(sqs, o.visibilityTimeoutSeconds);

    const sim = await startSimulator({
      world: demoWorld,
      pollHoldMs: o.pollHoldMs,
      autoScanAfterMs: 300,
      echo: o.echo,
    });
    stops.push(() => sim.close());
    const tap = await startPollTap(sim.url);
    stops.push(() => tap.close());
    const logins = watchLogins(sim);
    stops.push(() => logins.stop());

    const happenings: Happening[] = [];
    const happened = (what: string) => happenings.push({ at: Date.now(), what });

    // --- the bot, a child process ---
    /** The bot's log (WARN and up) by message, counted: the reasons behind a loss. */
    const botNotices = new Map<string, number>();
    const config: BotConfig = {
      dynamodbEndpoint: dynamo.endpoint,
      sqsEndpoint: sqsEmulator.endpoint,
      smartqqUrl: tap.url,
      account: String(ACCOUNT),
      pollHoldMs: o.pollHoldMs,
    };
    let child: ChildProcess | undefined;
    const startBot = () => {
      const proc = spawn(process.execPath, ['--import', 'tsx', BOT_SCRIPT], {
        env: {
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ...process.env,
          CHAOS_BOT_CONFIG: JSON.stringify(config),
        },
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      let buffered = '';
      proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.trim() || NODE_WARNING.test(line)) continue;
          const key = noticeKey(line);
          botNotices.set(key, (botNotices.get(key) ?? 0) + 1);
        }
      });
      child = proc;
      // A bot that stops by itself (a crash at start, say) is noted and started again.
      proc.once('exit', (code, signal) => {
        if (child !== proc || shuttingDown) return;
        child = undefined;
        happened(`bot exited by itself (${signal ?? code})`);
        botNotices.set(
          `bot exited by itself (${signal ?? code})`,
          (botNotices.get(`bot exited by itself (${signal ?? code})`) ?? 0) + 1,
        );
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!child && !shuttingDown) startBot();
        }, o.restartAfterMs);
        timers.add(timer);
      });
    };
    const killBot = async (signal: NodeJS.Signals) => {
      const proc = child;
      child = undefined;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill(signal);
      await Promise.race([exited, sleep(10_000)]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    };
    let shuttingDown = false;
    startBot();
    stops.push(() => {
      shuttingDown = true;
      return killBot('SIGTERM');
    });

    // --- injection ---
    const injectedIds = new Map<string, { conv: string; at: number }>();
    let next = 0;
    let offlineRefusals = 0;
    const injectOne = (): boolean => {
      const conv = pick(DEMO_SPEAKERS);
      const id = `c${next}`;
      try {
        sim.injectMessage({ ...conv, text: `chaos ${id}`, account: ACCOUNT } as MessageInput);
      } catch (err) {
        if (err instanceof SimulatorControlError && err.code === 'account_offline') {
          offlineRefusals += 1;
          return false;
        }
        throw err;
      }
      injectedIds.set(id, {
        conv: `${conv.type} ${conv.group ?? conv.discussion ?? ''} from ${conv.from}`,
        at: Date.now(),
      });
      next += 1;
      return true;
    };

    // --- chaos: faults and kills ---
    const faultCounts: Record<string, number> = {};
    let kills = 0;
    let chaosOn = true;
    const schedule = (every: readonly [number, number] | undefined, act: () => void | Promise<void>) => {
      if (!every) return;
      const arm = () => {
        const timer = setTimeout(async () => {
          timers.delete(timer);
          if (!chaosOn) return;
          await act();
          arm();
        }, between(every));
        timers.add(timer);
      };
      arm();
    };
    const faultPool = o.faults ? FAULTS.filter((f) => o.faults?.includes(f.name)) : FAULTS;
    if (faultPool.length === 0) throw new Error(`no such faults: ${o.faults?.join(', ')}`);
    schedule(o.faultEveryMs, () => {
      const chosen = pick(faultPool);
      try {
        chosen.apply(sim, pick);
        faultCounts[chosen.name] = (faultCounts[chosen.name] ?? 0) + 1;
        happened(chosen.name);
      } catch (err) {
        // kick / expire with no live login: nothing to do now
        if (!(err instanceof SimulatorControlError)) throw err;
      }
    });
    schedule(o.killEveryMs, async () => {
      if (o.maxKills !== undefined && kills >= o.maxKills) return;
      // The time of the signal, not of the exit seen after it: the bot stopped reading then.
      const at = Date.now();
      await killBot('SIGKILL');
      kills += 1;
      happenings.push({ at, what: 'SIGKILL bot' });
      await sleep(o.restartAfterMs);
      if (chaosOn) {
        startBot();
        happened('bot restarted');
      }
    });

    const replies = () => {
      const acks = new Map<string, number>();
      for (const sent of sim.sent()) {
        const m = /^ack (\S+)$/.exec(sent.text);
        if (m?.[1]) acks.set(m[1], (acks.get(m[1]) ?? 0) + 1);
      }
      return acks;
    };
    const line = (phase: string) => {
      const c = sim.counters();
      const acks = replies();
      return `${phase} ${Math.round((Date.now() - started) / 1000)}s: injected ${next}/${o.messages}, replied ${acks.size}, delivered ${c.eventsDelivered}, dropped ${c.eventsDropped}, lost-in-delivery ${c.eventsLost}, queued ${c.eventsQueued}, kills ${kills}, faults ${Object.values(faultCounts).reduce((a, b) => a + b, 0)}`;
    };

    // Wait for the first login, so the first messages have somewhere to go.
    while (!sim.state().accounts[0]?.online) {
      if (Date.now() > deadline)
        throw new Error(`the bot never came online; its output:\n${[...botNotices.keys()].join('\n')}`);
      await sleep(100);
    }

    const intervalMs = 1000 / o.rate;
    let lastProgress = Date.now();
    let due = Date.now();
    while (next < o.messages && Date.now() < deadline) {
      due += intervalMs;
      // Refused while the account is offline (between logins): tried again on the next tick.
      injectOne();
      if (Date.now() - lastProgress >= 2_000) {
        progress(line('running'));
        lastProgress = Date.now();
      }
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      else if (-wait > 1_000) due = Date.now();
    }

    // --- the end: chaos off, the bot up, then wait until nothing more happens ---
    chaosOn = false;
    for (const t of timers) clearTimeout(t);
    timers.clear();
    if (!child) {
      startBot();
      happened('bot restarted');
    }
    let lastSends = -1;
    let quietSince = Date.now();
    let timedOut = false;
    for (;;) {
      const c = sim.counters();
      const depth = await queueDepth(sqs, queues.inbound);
      if (c.sends !== lastSends || c.eventsQueued > 0 || depth > 0) {
        if (c.sends !== lastSends) quietSince = Date.now();
        lastSends = c.sends;
      }
      if (c.eventsQueued === 0 && depth === 0 && Date.now() - quietSince >= o.quietMs) break;
      if (Date.now() > deadline) {
        timedOut = true;
        break;
      }
      if (Date.now() - lastProgress >= 2_000) {
        progress(`${line('settling')}, inbound queue ${depth}`);
        lastProgress = Date.now();
      }
      await sleep(250);
    }

    const counters = sim.counters();
    const acks = replies();
    const replied = [...acks.keys()].filter((id) => injectedIds.has(id)).length;
    const twice = [...acks].filter(([, n]) => n > 1);
    const unreplied = [...injectedIds].filter(([id]) => !acks.has(id));
    const dlq = await readDlq(sqs, queues.inboundDlq);
    // The bot's reply claims outlive its kills (the harness's DynamoDB): read before it stops.
    const claims = await readReplyClaims(dynamo.endpoint, localTableNames('local').guards);
    // Replied once into an answer that could not tell: no client could know, none should resend.
    const unknownBy: Record<string, number> = {};
    const outcomeUnknown = new Set<string>();
    for (const [id] of unreplied) {
      const verdicts = tap.sends.get(id) ?? [];
      const last = verdicts.at(-1);
      if (!last?.startsWith('ambiguous') || verdicts.includes('sent')) continue;
      outcomeUnknown.add(id);
      unknownBy[last] = (unknownBy[last] ?? 0) + 1;
    }
    // Delivered in a poll2 answer (the tap saw it) and never answered: each is given its reason
    // below. The other unreplied ones never left the server: dropped at a new login, taken off its
    // queue for a poll whose client was gone (eventsLost), or still queued.
    const deliveredUnreplied = unreplied.filter(([id]) => tap.delivered.has(id) && !outcomeUnknown.has(id));
    const neverDelivered = unreplied.filter(([id]) => !tap.delivered.has(id)).length;
    // eventsDropped counts every event; a kick_message that no poll2 answer carried was dropped too.
    const droppedMessages = counters.eventsDropped - Math.max(0, (faultCounts.kick ?? 0) - tap.kicks());

    const killTimes = happenings.filter((h) => h.what === 'SIGKILL bot').map((h) => h.at);
    const dlqIds = new Set(dlq.map((d) => d.id));
    const fates = new Map<string, Fate>();
    for (const [id] of deliveredUnreplied) {
      const delivery = tap.delivered.get(id) as Delivery;
      fates.set(id, fateOf(id, delivery, claims, tap.sends.get(id) ?? [], killTimes, dlqIds));
    }
    const count = (fate: Fate) => [...fates.values()].filter((f) => f === fate).length;
    const unexplained = count('unexplained');
    const unaccounted = neverDelivered - droppedMessages - counters.eventsLost;
    // A check that event keys are computed as the bot computes them: the claims of answered
    // messages should match too.
    const deliveredKeys = new Set([...tap.delivered.values()].flatMap(eventKeys));
    const claimItems = [...claims].flatMap(([key, held]) => held.map(() => key));

    const lostSample = [...deliveredUnreplied]
      // The unexplained first: they are what the run is about.
      .sort(([a], [b]) => Number(fates.get(b) === 'unexplained') - Number(fates.get(a) === 'unexplained'))
      .slice(0, 20)
      .map(([id, { conv, at }]) => {
        const delivery = tap.delivered.get(id) as Delivery;
        const before = happenings
          .filter((h) => h.at <= delivery.at + 5_000 && h.at >= at - 1_000)
          .slice(0, 8)
          .map((h) => `${h.what} ${h.at - at >= 0 ? '+' : ''}${h.at - at}ms`);
        const held = eventKeys(delivery).flatMap((k) => claims.get(k) ?? []);
        const facts = [
          `${conv}, injected at ${Math.round((at - started) / 1000)}s, delivered ${delivery.at - at} ms later`,
          ...(delivery.times > 1 ? [`in ${delivery.times} poll answers`] : []),
          ...(held.length > 0 ? [`claims: ${held.map(describeClaim).join(', ')}`] : []),
          ...(tap.sends.has(id) ? [`sends: ${tap.sends.get(id)?.join(', ')}`] : []),
        ];
        return `${id} [${fates.get(id)}] (${facts.join('; ')})${before.length ? `: ${before.join(', ')}` : ''}`;
      });
    return {
      injected: injectedIds.size,
      replied,
      droppedMessages,
      replyOutcomeUnknown: outcomeUnknown.size,
      replyOutcomeUnknownBy: unknownBy,
      // A negative `unaccounted` is events that were not test messages (kicks lost, echoes): it
      // explains no test message, so it does not offset an unexplained one.
      lost: unexplained + Math.max(0, unaccounted),
      claimedUnsent: count('claimed'),
      killedBeforePublish: count('killed before publish'),
      inDlq: count('in the DLQ'),
      unexplained,
      unaccounted,
      replyClaims: {
        total: claimItems.length,
        matched: claimItems.filter((key) => deliveredKeys.has(key)).length,
      },
      deliveredUnreplied: deliveredUnreplied.length,
      neverDelivered,
      deliveredSeen: tap.delivered.size,
      deliveredTwiceSeen: [...tap.delivered.values()].filter((d) => d.times > 1).length,
      kicks: faultCounts.kick ?? 0,
      answeredTwice: twice.length,
      counters,
      logins: logins.logins,
      sessions: logins.sessions,
      kills,
      faults: { ...faultCounts, 'refused injections (offline)': offlineRefusals },
      dlq,
      lostSample,
      twiceSample: twice.slice(0, 20).map(([id, n]) => `${id} ×${n} (${injectedIds.get(id)?.conv ?? '?'})`),
      botNotices: [...botNotices]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 30)
        .map(([k, n]) => `${n}× ${k}`),
      timedOut,
      seconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    await stopAll();
  }
}

/** Why a message delivered in a poll2 answer was not answered. */
type Fate = 'claimed' | 'killed before publish' | 'in the DLQ' | 'unexplained';

/** A reply claim of the bot (replier.ts `sendOnce`): `status` in_progress (a sent part stays so) or done. */
interface ReplyClaim {
  /** `<ruleId>|<part index>`. */
  readonly part: string;
  readonly status: string;
  /** The outcome a `done` claim keeps: `uncertain`, `rejected`… */
  readonly result?: string;
}

/**
 * The bot's event keys for a delivered test message (one per distinct event the tap saw; a
 * redelivery repeats the same one). The key depends on the account and the event's ids only, not on
 * contact names, so empty contacts give the key the bot's poller computed.
 */
function eventKeys(delivery: Delivery): string[] {
  const keys = delivery.sightings.flatMap((s) =>
    s.event ? [toInboundMessage(s.event, String(ACCOUNT), noContacts(0), 0).key] : [],
  );
  return [...new Set(keys)];
}

/**
 * A claim that says a reply may have gone out: one still in progress (its consumer was killed
 * around the send; a sent part's claim also stays so, but then the simulator saw the ack), or one
 * a later consumer found lapsed and kept as uncertain. Not a reply rejected for good.
 */
function maybeSent(claim: ReplyClaim): boolean {
  return claim.status === 'in_progress' || claim.result === 'uncertain';
}

function describeClaim(claim: ReplyClaim): string {
  return `${claim.part} ${claim.status}${claim.result ? ` (${claim.result})` : ''}`;
}

/**
 * Why a delivered test message went unanswered, from the bot's reply claims and the run's records:
 * - in the DLQ: set aside by the consumer or by the redrive policy (listed with the DLQ);
 * - claimed: a consumer claimed the reply and no send of it was answered `sent`, so the consumer
 *   was killed around the send; it may have gone out, so it is never resent (at most once);
 * - killed before publish: no claim at all, and the bot was SIGKILLed just after the poll answer
 *   came: the message was in that bot's memory only, before it reached the inbound queue;
 * - unexplained: none of these.
 */
function fateOf(
  id: string,
  delivery: Delivery,
  claims: ReadonlyMap<string, readonly ReplyClaim[]>,
  sendVerdicts: readonly string[],
  killTimes: readonly number[],
  dlqIds: ReadonlySet<string>,
): Fate {
  if (dlqIds.has(id)) return 'in the DLQ';
  const held = eventKeys(delivery).flatMap((key) => claims.get(key) ?? []);
  if (held.some(maybeSent) && !sendVerdicts.includes('sent')) return 'claimed';
  const killedJustAfter = delivery.sightings.some((s) =>
    killTimes.some((k) => k >= s.at - KILL_BEFORE_NOTED_MS && k <= s.at + KILL_AFTER_DELIVERY_MS),
  );
  if (held.length === 0 && killedJustAfter) return 'killed before publish';
  return 'unexplained';
}

/**
 * The bot's reply claims in the Guards table (`idem#reply|<event key>|<rule id>|<part>`, replier.ts
 * `sendOnce`; items as lib/stores/idempotency-store.ts writes them), by event key.
 */
async function readReplyClaims(endpoint: string, tableName: string): Promise<Map<string, ReplyClaim[]>> {
  const { client, doc } = createDynamoClients({ endpoint });
  const claims = new Map<string, ReplyClaim[]>();
  try {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(
        new ScanCommand({
          TableName: tableName,
          FilterExpression: 'begins_with(pk, :reply)',
          ExpressionAttributeValues: { ':reply': 'idem#reply|' },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const m = /^idem#reply\|([^|]+)\|(.+)$/.exec(String(item.pk));
        if (!m?.[1] || !m[2]) continue;
        const result = (item.result as { status?: unknown } | undefined)?.status;
        const claim: ReplyClaim = {
          part: m[2],
          status: String(item.status),
          ...(typeof result === 'string' ? { result } : {}),
        };
        claims.set(m[1], [...(claims.get(m[1]) ?? []), claim]);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  } finally {
    client.destroy();
  }
  return claims;
}

/**
 * The simulator keeps no login counter: its state, sampled often, shows a new QR login (login age
 * back near 0) and a new session (login2, session age back near 0).
 */
function watchLogins(sim: Simulator): { logins: number; sessions: number; stop(): void } {
  const seen = { logins: 0, sessions: 0 };
  let loginAge = Number.POSITIVE_INFINITY;
  let sessionAge = Number.POSITIVE_INFINITY;
  const timer = setInterval(() => {
    const account = sim.state().accounts[0];
    if (!account) return;
    if (account.loginAgeMs !== null && account.loginAgeMs < loginAge) seen.logins += 1;
    if (account.sessionAgeMs !== null && account.sessionAgeMs < sessionAge) seen.sessions += 1;
    loginAge = account.loginAgeMs ?? Number.POSITIVE_INFINITY;
    sessionAge = account.sessionAgeMs ?? Number.POSITIVE_INFINITY;
  }, 50);
  return Object.assign(seen, { stop: () => clearInterval(timer) });
}

async function createChaosQueues(
  sqs: SQSClient,
  visibilityTimeoutSeconds: number,
): Promise<{ inbound: string; inboundDlq: string }> {
  const names = localQueueNames('local');
  const create = async (name: string, attributes: Record<string, string>) => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    if (!QueueUrl) throw new Error(`CreateQueue ${name} answered without a QueueUrl`);
    return QueueUrl;
  };
  const inboundDlq = await create(names.inboundDlq, queueAttributes(QUEUES.inboundDlq));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: inboundDlq, AttributeNames: ['QueueArn'] }),
  );
  const inbound = await create(
    names.inbound,
    queueAttributes({ ...QUEUES.inbound, visibilityTimeoutSeconds }, Attributes?.QueueArn),
  );
  return { inbound, inboundDlq };
}

async function queueDepth(sqs: SQSClient, url: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

async function readDlq(sqs: SQSClient, url: string): Promise<DlqRecord[]> {
  const found: DlqRecord[] = [];
  for (let i = 0; i < 100; i++) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 600,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        // The consumer's `reason` (functions/consumer/dead-letter.ts); the redrive policy adds none.
        MessageAttributeNames: ['reason'],
      }),
    );
    if (!Messages || Messages.length === 0) break;
    for (const m of Messages) {
      const id = /chaos (\S+)/.exec(m.Body ?? '')?.[1] ?? (m.Body ?? '').slice(0, 80);
      const reason = m.MessageAttributes?.reason?.StringValue;
      found.push({
        id,
        receiveCount: m.Attributes?.ApproximateReceiveCount ?? '?',
        ...(reason !== undefined ? { reason } : {}),
      });
    }
  }
  return found;
}

export function formatReport(r: ChaosReport): string {
  const c = r.counters;
  const rows: [string, string | number][] = [
    ['injected (accepted by the server)', r.injected],
    ['delivered by the server (events written to a poll)', c.eventsDelivered],
    ['  of which kick_message events injected (not test messages)', r.kicks],
    [
      'test messages seen in poll2 answers (tap) / more than once',
      `${r.deliveredSeen} / ${r.deliveredTwiceSeen}`,
    ],
    ['dropped by the server at a new login (eventsDropped)', c.eventsDropped],
    ['  of which test messages', r.droppedMessages],
    ['QR logins / sessions (login2)', `${r.logins} / ${r.sessions}`],
    ['lost in delivery (eventsLost: poll client gone)', c.eventsLost],
    ['delivered twice by the server (duplicatesDelivered)', c.duplicatesDelivered],
    ['still queued at the server', c.eventsQueued],
    ['replied (distinct ids acked)', r.replied],
    ['replied once, answer ambiguous, not delivered, never resent', r.replyOutcomeUnknown],
    ...Object.entries(r.replyOutcomeUnknownBy).map(([k, v]): [string, number] => [`  ${k}`, v]),
    ['unreplied that a poll2 answer carried', r.deliveredUnreplied],
    ['  claimed by a consumer killed around its send (maybe sent, never resent)', r.claimedUnsent],
    ['  in a poll answer read by a bot SIGKILLed before it published it', r.killedBeforePublish],
    ['  in the inbound DLQ (listed below)', r.inDlq],
    ['  unexplained', r.unexplained],
    ['unreplied that no poll2 answer carried', r.neverDelivered],
    ['  dropped by the server at a new login (test messages, above)', r.droppedMessages],
    ['  in a poll answer cut by a SIGKILL (eventsLost, above)', c.eventsLost],
    ['  not accounted for (still queued, or a delivery the tap missed)', r.unaccounted],
    ['LOST = unexplained + not accounted for', r.lost],
    ['ANSWERED TWICE (ids acked more than once)', r.answeredTwice],
    ['sent twice per part (duplicateSends)', c.duplicateSends],
    [
      'reply claims in the Guards table / matched to a test message',
      `${r.replyClaims.total} / ${r.replyClaims.matched}`,
    ],
    ['inbound DLQ depth', r.dlq.length],
    ['bot SIGKILLs', r.kills],
    ['simulator faults applied (faultsApplied)', c.faultsApplied],
    ['seconds', r.seconds],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const out = rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
  out.push('  faults set:', ...Object.entries(r.faults).map(([k, v]) => `    ${k}: ${v}`));
  if (r.dlq.length > 0) {
    // The consumer says why when it sets a record aside itself; the redrive policy says nothing.
    const redrivenAfter = QUEUES.inbound.deadLetter.maxReceiveCount;
    out.push(
      `  DLQ records (first 50 of ${r.dlq.length}):`,
      ...r.dlq
        .slice(0, 50)
        .map(
          (d) =>
            `    ${d.id}: ${d.reason !== undefined ? `reason: ${d.reason.slice(0, 200)}` : `redriven after ${redrivenAfter} receives`} (receive count ${d.receiveCount})`,
        ),
    );
  }
  if (r.lostSample.length > 0)
    out.push(
      '  unreplied after delivery (first 20, unexplained first), with the chaos around them:',
      ...r.lostSample.map((s) => `    ${s}`),
    );
  if (r.twiceSample.length > 0)
    out.push('  answered twice (first 20):', ...r.twiceSample.map((s) => `    ${s}`));
  if (r.botNotices.length > 0)
    out.push('  bot log, WARN and up (by message):', ...r.botNotices.map((s) => `    ${s.slice(0, 300)}`));
  if (r.timedOut) out.push('  TIMED OUT before the run settled');
  return out.join('\n');
}
