/**
 * The local runtime: the whole system in one process, on loopback, wired as AWS wires it.
 * DynamoDB and SQS emulators with the stack's tables and queues, the SmartQQ simulator, and the
 * three functions behind their event sources: a schedule for the poller, an SQS event source
 * mapping for the consumer, an HTTP API for the send function.
 *
 * The handlers read their configuration from `process.env` at cold start, so the runtime sets the
 * variables the stack sets, then imports them. Modules load once per process: a runtime can start
 * once per process (a second one would run handlers bound to the first one's emulators).
 *
 * With `smartqqUrl` the functions talk to that SmartQQ-compatible server instead of the built-in
 * simulator; with `dataDir` DynamoDB keeps its tables there, so the rules, the session and the
 * outbox survive a restart. With `dynamodbEndpoint` and `sqsEndpoint` it uses DynamoDB and SQS
 * started by someone else (a chaos harness that kills and restarts this process), without starting
 * or stopping them.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { GetQueueUrlCommand, QueueDoesNotExist, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ENV, readEnv } from '../../lib/config.ts';
import { createDynamoClients } from '../../lib/state/dynamo.ts';
import {
  CONSUMER_MAX_CONCURRENCY,
  createQueues,
  localQueueNames,
  type QueueNames,
  type QueueUrls,
} from '../../lib/state/queues.ts';
import { claimRuntimeFile, releaseRuntimeFile, writeRuntimeFile } from '../../lib/state/runtime-file.ts';
import { createTables, localTableNames, type TableNames } from '../../lib/state/tables.ts';
import { DynamoRuleStore } from '../../lib/stores/rule-store.ts';
import { clearLease, DynamoSessionStore } from '../../lib/stores/session-store.ts';
import demoRules from '../demo-rules.json' with { type: 'json' };
import demoWorld from '../demo-world.json' with { type: 'json' };
import { type Simulator, startSimulator } from '../simulator/index.ts';
import { type Emulators, LOCAL_REGION, localSqsClient, startEmulators } from './emulators.ts';
import {
  type FunctionHandlers,
  loadFunctionHandlers,
  localFunctions,
  pollerTimeoutMs,
  sendApiRoutes,
} from './functions.ts';
import { startHttpApi } from './http-api.ts';
import type { Invocation, LambdaFunction, RuntimeLog } from './lambda-context.ts';
import { startSchedule } from './schedule.ts';
import { type BatchReport, startSqsEventSource } from './sqs-event-source.ts';

export interface LocalRuntimeOptions {
  /** The built-in simulator's world; default `local/demo-world.json`. */
  readonly world?: unknown;
  /** A SmartQQ-compatible server to use instead of the built-in simulator (then `account` is needed). */
  readonly smartqqUrl?: string;
  /** The bot account (ACCOUNT); default the world's first account (the demo's 20001). */
  readonly account?: string;
  /**
   * The accounts the functions serve from the start (ACCOUNTS), `account` first; default `account`
   * alone. More can be added while it runs (`npm run accounts -- add N --local`).
   */
  readonly accounts?: readonly string[];
  /**
   * Rules imported at start, replacing those of the accounts they name. Without them the demo rules
   * (`local/demo-rules.json`) are imported when the rules table is empty (a new data folder).
   */
  readonly rules?: readonly unknown[];
  /** Where DynamoDB keeps its tables on disk; default in memory (nothing survives a stop). */
  readonly dataDir?: string;
  /** 0 (the default) picks a free port; likewise for every port. */
  readonly simulatorPort?: number;
  readonly sendApiPort?: number;
  readonly dynamodbPort?: number;
  readonly sqsPort?: number;
  /**
   * DynamoDB and SQS already running elsewhere (both or neither): then no emulator is started, and
   * the tables and queues are created only where missing (existing ones are used as they are).
   */
  readonly dynamodbEndpoint?: string;
  readonly sqsEndpoint?: string;
  /** More function environment (e.g. CONVERSATION_REPLIES_PER_MINUTE), over the runtime's own. */
  readonly functionEnvironment?: FunctionEnvironment;
  /** The simulator's poll2 hold and POLL_MAX_HOLD_MS; default 30 s. */
  readonly pollHoldMs?: number;
  /** POLL_MARGIN_MS; default the functions' own (5 s). */
  readonly pollMarginMs?: number;
  /** The simulator scans and allows each QR after this long; absent: a person does it (control API). */
  readonly autoScanAfterMs?: number;
  /** The poller's schedule; default every 60 s, like the stack's rate(1 minute). */
  readonly scheduleRateMs?: number;
  /** Default: `pollerTimeoutMs` of the rate and hold. */
  readonly pollerTimeoutMs?: number;
  /** SEND_INTERVAL_MS; default the functions' own (3 s). */
  readonly sendIntervalMs?: number;
  /** SEND_BURST; default the functions' own (3). */
  readonly sendBurst?: number;
  /** API_TOKEN; default a random one. */
  readonly apiToken?: string;
  /** The consumer event source's long-poll wait; default 20 s. */
  readonly sqsWaitTimeSeconds?: number;
  /**
   * The runtime file (`.local-data/runtime.json`) for `npm run rules -- --local`, claimed before
   * anything starts (a live runtime holding it is an error) and removed on close; none if absent.
   */
  readonly runtimeFile?: string;
  /** Powertools' POWERTOOLS_LOG_LEVEL for the handlers; default the environment's, else WARN. */
  readonly handlerLogLevel?: string;
  /** Imports the handlers once the environment is set; default the real ones. */
  readonly loadHandlers?: () => Promise<FunctionHandlers>;
  /** The runtime's own notices: timeouts, failed batches, skipped ticks. */
  readonly log?: RuntimeLog;
  /** The simulator's log: one line per login step, poll and send. */
  readonly simulatorLog?: (line: string) => void;
  readonly onPollerInvocation?: (invocation: Invocation<unknown>) => void;
  readonly onConsumerBatch?: (report: BatchReport) => void;
}

export interface LocalRuntime {
  readonly account: string;
  /** The accounts it was started with (ACCOUNTS), `account` first. */
  readonly accounts: readonly string[];
  /** The built-in simulator; absent with `smartqqUrl`. */
  readonly simulator: Simulator | undefined;
  /** The SmartQQ server the functions use: the simulator's URL, or `smartqqUrl`. */
  readonly smartqqUrl: string;
  /** The send API's base URL (`POST <sendApiUrl>/v1/messages`). */
  readonly sendApiUrl: string;
  readonly apiToken: string;
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  readonly region: string;
  readonly tables: TableNames;
  readonly queues: QueueUrls;
  readonly functions: Readonly<Record<keyof FunctionHandlers, LambdaFunction>>;
  /** What the handlers were given in `process.env`. */
  readonly environment: Readonly<Record<string, string>>;
  /** Clients on the emulators, for tools and tests. */
  readonly doc: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly sessions: DynamoSessionStore;
  /** Stops the schedule, the event source, the HTTP API, the simulator and the emulators, in that order. */
  close(): Promise<void>;
}

const PREFIX = 'local';
const DEFAULTS = {
  pollHoldMs: 30_000,
  // The functions' own defaults (lib/config.ts), written out as the stack would.
  pollMarginMs: ENV.POLL_MARGIN_MS.parse(undefined),
  sendIntervalMs: ENV.SEND_INTERVAL_MS.parse(undefined),
  sendBurst: ENV.SEND_BURST.parse(undefined),
  scheduleRateMs: 60_000,
  sqsWaitTimeSeconds: 20,
  handlerLogLevel: 'WARN',
};

let started = false;

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  if (started)
    throw new Error(
      'the local runtime starts once per process (the handlers keep their first configuration)',
    );
  started = true;
  const world = options.world ?? demoWorld;
  const account = options.account ?? (options.smartqqUrl ? undefined : firstAccount(world));
  if (account === undefined)
    throw new Error('the account to run the bot as is needed with a SmartQQ server URL');
  const accounts = servedFromStart(account, options);
  const holdMs = options.pollHoldMs ?? DEFAULTS.pollHoldMs;
  const marginMs = options.pollMarginMs ?? DEFAULTS.pollMarginMs;
  const rateMs = options.scheduleRateMs ?? DEFAULTS.scheduleRateMs;
  const apiToken = options.apiToken ?? randomBytes(24).toString('base64url');
  const functions = localFunctions(
    PREFIX,
    options.pollerTimeoutMs ?? pollerTimeoutMs({ rateMs, holdMs, marginMs }),
  );
  let closing = false;
  const log: RuntimeLog = (line) => {
    if (!closing) options.log?.(line);
  };
  /** What to stop, in start order; stopped in reverse. */
  const stops: (() => Promise<void> | void)[] = [];
  let releaseHeldPolls = () => {};
  const stopAll = async () => {
    closing = true;
    // The poller in a held poll gets its answer at once; its time then reads 0 (schedule.close), so
    // it stops polling and gives the lease back while DynamoDB is still up.
    releaseHeldPolls();
    for (const stop of stops.reverse()) await stop();
  };

  try {
    let claim: { pid: number; startedAt: string } | undefined;
    if (options.runtimeFile) {
      const file = options.runtimeFile;
      const { replacedPid, ...claimed } = claimRuntimeFile(file);
      claim = claimed;
      stops.push(() => releaseRuntimeFile(file));
      if (replacedPid !== undefined)
        log(`replaced ${file}, left by npm start (pid ${replacedPid}) which is gone`);
    }
    const external = externalEndpoints(options);
    const emulators =
      external ??
      (await startEmulators({
        ...(options.dynamodbPort !== undefined ? { dynamodbPort: options.dynamodbPort } : {}),
        ...(options.sqsPort !== undefined ? { sqsPort: options.sqsPort } : {}),
        ...(options.dataDir !== undefined ? { dynamodbPath: path.join(options.dataDir, 'dynamodb') } : {}),
      }));
    if (!external) stops.push(() => emulators.close());
    const dynamo = createDynamoClients({ endpoint: emulators.dynamodbEndpoint, region: emulators.region });
    const sqs = localSqsClient(emulators.sqsEndpoint, emulators.region);
    stops.push(() => {
      dynamo.client.destroy();
      sqs.destroy();
    });

    const tables = localTableNames(PREFIX);
    await createTables(dynamo.client, tables);
    // Its own data (the runtime file says no other npm start uses it): a lease left by the last stop
    // belongs to a poller that is gone, and would keep this one waiting for a tick.
    if (options.runtimeFile && !external) {
      for (const each of accounts) {
        if (await clearLease({ doc: dynamo.doc, tableName: tables.sessions }, each))
          log(`cleared the lease of ${each} left by the last stop`);
      }
    }
    const queueNames = localQueueNames(PREFIX);
    const queues =
      (external && (await existingQueues(sqs, queueNames))) || (await createQueues(sqs, queueNames));
    const rules = new DynamoRuleStore({ doc: dynamo.doc, tableName: tables.rules });
    if (options.rules) await rules.importRules(options.rules, { replace: true });
    else if ((await rules.list()).length === 0) await rules.importRules(demoRules);

    let simulator: Simulator | undefined;
    if (!options.smartqqUrl) {
      const started = await startSimulator({
        world,
        pollHoldMs: holdMs,
        ...(options.simulatorPort !== undefined ? { port: options.simulatorPort } : {}),
        ...(options.autoScanAfterMs !== undefined ? { autoScanAfterMs: options.autoScanAfterMs } : {}),
        ...(options.simulatorLog ? { log: options.simulatorLog } : {}),
      });
      stops.push(() => started.close());
      releaseHeldPolls = () => started.releaseHeldPolls();
      simulator = started;
    }
    const smartqqUrl = options.smartqqUrl ?? (simulator as Simulator).url;

    const environment = functionEnvironment({
      ACCOUNT: account,
      SESSIONS_TABLE: tables.sessions,
      RULES_TABLE: tables.rules,
      GUARDS_TABLE: tables.guards,
      INBOUND_QUEUE_URL: queues.inbound,
      INBOUND_DLQ_URL: queues.inboundDlq,
      DYNAMODB_ENDPOINT: emulators.dynamodbEndpoint,
      SQS_ENDPOINT: emulators.sqsEndpoint,
      SMARTQQ_BASE_URL: smartqqUrl,
      POLL_MAX_HOLD_MS: String(holdMs),
      POLL_MARGIN_MS: String(marginMs),
      POLLER_RATE_MS: String(rateMs),
      API_TOKEN: apiToken,
      SEND_INTERVAL_MS: String(options.sendIntervalMs ?? DEFAULTS.sendIntervalMs),
      SEND_BURST: String(options.sendBurst ?? DEFAULTS.sendBurst),
      ...options.functionEnvironment,
      ACCOUNTS: accounts.join(','),
    });
    const restoreEnv = applyEnvironment({
      ...environment,
      // Lambda sets AWS_REGION in every function.
      AWS_REGION: emulators.region,
      // Local only, so the terminal shows the demo rather than every log line and metric blob.
      POWERTOOLS_LOG_LEVEL:
        options.handlerLogLevel ?? process.env.POWERTOOLS_LOG_LEVEL ?? DEFAULTS.handlerLogLevel,
      POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
    });
    stops.push(restoreEnv);
    const handlers = await (options.loadHandlers ?? loadFunctionHandlers)();

    const http = await startHttpApi({
      handler: handlers.send,
      function: functions.send,
      routes: sendApiRoutes(),
      ...(options.sendApiPort !== undefined ? { port: options.sendApiPort } : {}),
      log,
    });
    stops.push(() => http.close());

    if (options.runtimeFile) {
      writeRuntimeFile(options.runtimeFile, {
        ...claim,
        dynamodbEndpoint: emulators.dynamodbEndpoint,
        region: emulators.region,
        account,
        sendApiUrl: http.url,
        apiToken,
        tables: { rules: tables.rules, sessions: tables.sessions, guards: tables.guards },
      });
    }

    const eventSource = await startSqsEventSource({
      sqs,
      queueUrl: queues.inbound,
      handler: handlers.consumer,
      function: functions.consumer,
      // As the stack's event source mapping (infra/inbound-pipeline.ts): two batches at once.
      concurrency: CONSUMER_MAX_CONCURRENCY,
      waitTimeSeconds: options.sqsWaitTimeSeconds ?? DEFAULTS.sqsWaitTimeSeconds,
      log,
      onBatch: (report) => {
        if (report.failed.length > 0 && !report.batchFailure) {
          log(
            `${functions.consumer.functionName}: ${report.failed.length} of ${report.records.length} records failed, back after the visibility timeout`,
          );
        }
        options.onConsumerBatch?.(report);
      },
    });
    stops.push(() => eventSource.close());

    const schedule = startSchedule({
      handler: handlers.poller,
      function: functions.poller,
      rateMs,
      log,
      ...(options.onPollerInvocation ? { onInvocation: options.onPollerInvocation } : {}),
    });
    stops.push(() => schedule.close());

    let closed: Promise<void> | undefined;
    return {
      account,
      accounts,
      simulator,
      smartqqUrl,
      sendApiUrl: http.url,
      apiToken,
      dynamodbEndpoint: emulators.dynamodbEndpoint,
      sqsEndpoint: emulators.sqsEndpoint,
      region: emulators.region,
      tables,
      queues,
      functions,
      environment,
      doc: dynamo.doc,
      sqs,
      sessions: new DynamoSessionStore({ doc: dynamo.doc, tableName: tables.sessions }),
      close() {
        closed ??= stopAll();
        return closed;
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** `dynamodbEndpoint` and `sqsEndpoint` when given (both), in the shape `startEmulators` returns. */
function externalEndpoints(options: LocalRuntimeOptions): Emulators | undefined {
  const { dynamodbEndpoint, sqsEndpoint } = options;
  if (dynamodbEndpoint === undefined && sqsEndpoint === undefined) return undefined;
  if (dynamodbEndpoint === undefined || sqsEndpoint === undefined)
    throw new Error('dynamodbEndpoint and sqsEndpoint go together (external emulators, or none)');
  return { dynamodbEndpoint, sqsEndpoint, region: LOCAL_REGION, close: async () => {} };
}

/** The queues' URLs when both exist already (created by an earlier run, as they are); else undefined. */
async function existingQueues(sqs: SQSClient, names: QueueNames): Promise<QueueUrls | undefined> {
  const url = async (name: string) => {
    try {
      return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
    } catch (err) {
      const name = (err as { name?: unknown }).name;
      if (err instanceof QueueDoesNotExist || name === 'AWS.SimpleQueueService.NonExistentQueue')
        return undefined;
      throw err;
    }
  };
  const inbound = await url(names.inbound);
  const inboundDlq = await url(names.inboundDlq);
  return inbound && inboundDlq ? { inbound, inboundDlq } : undefined;
}

type FunctionEnvironment = { readonly [K in keyof typeof ENV]?: string };

/** Typed by `lib/config.ts`'s names, so a renamed variable breaks the build here too. */
function functionEnvironment(values: FunctionEnvironment): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((e): e is [string, string] => e[1] !== undefined));
}

/**
 * Sets the variables and returns what puts the previous values back. The stack's other variables
 * (API_TOKEN_SECRET_ID, SMARTQQ_PTLOGIN_URL, ...) are cleared meanwhile: a function sees only
 * what its stack gives it, never a leftover from the shell.
 */
function applyEnvironment(values: Record<string, string>): () => void {
  const names = new Set([...Object.keys(values), ...Object.keys(ENV)]);
  const previous = new Map([...names].map((name) => [name, process.env[name]]));
  for (const name of names) setVariable(name, values[name]);
  return () => {
    for (const [name, value] of previous) setVariable(name, value);
  };
}

function setVariable(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

/**
 * ACCOUNTS: `accounts` (`account` first), or the functions' own ACCOUNTS when a test sets it there,
 * or `account` alone; checked by the functions' own rules, so a bad list fails here by name.
 */
function servedFromStart(account: string, options: LocalRuntimeOptions): string[] {
  const given = options.accounts?.join(',') ?? options.functionEnvironment?.ACCOUNTS;
  const parsed = readEnv(['ACCOUNTS'], { ACCOUNTS: given }).ACCOUNTS ?? [];
  return [account, ...parsed.filter((each) => each !== account)];
}

/** The QQ numbers of a world's accounts, in its order (the demo world's: 20001, 20002). */
export function worldAccounts(world: unknown = demoWorld): string[] {
  const accounts = (world as { accounts?: { qq?: unknown }[] }).accounts ?? [];
  return accounts
    .map((a) => a.qq)
    .filter((qq): qq is number | string => typeof qq === 'number' || typeof qq === 'string')
    .map(String);
}

function firstAccount(world: unknown): string {
  const qq = (world as { accounts?: { qq?: unknown }[] }).accounts?.[0]?.qq;
  if (typeof qq !== 'number' && typeof qq !== 'string')
    throw new Error('the world has no account to run the bot as');
  return String(qq);
}

export { startDemoChatter } from './demo-chatter.ts';
export type { FunctionHandlers } from './functions.ts';
export { type SessionChange, watchSession } from './session-watch.ts';
export type { BatchReport } from './sqs-event-source.ts';
