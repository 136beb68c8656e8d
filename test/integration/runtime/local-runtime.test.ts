/**
 * The runtime's wiring, with stand-in handlers: the environment is set before they load, the poller
 * runs on the schedule, what it publishes reaches the consumer, the HTTP API reaches the send
 * function, and close() takes everything down. (test/e2e runs the real handlers.)
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_FILE, readLocalRuntime } from '../../../lib/state/runtime-file.ts';
import { DynamoRuleStore } from '../../../lib/stores/rule-store.ts';
import demoRules from '../../../local/demo-rules.json' with { type: 'json' };
import { type FunctionHandlers, type LocalRuntime, startLocalRuntime } from '../../../local/runtime/index.ts';
import type { ScheduledEventShape } from '../../../local/runtime/schedule.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(25);
  }
}

let runtime: LocalRuntime;
let projectDir: string;
let envAtLoad: NodeJS.ProcessEnv = {};
const polls: ScheduledEventShape[] = [];
const consumed: SQSRecord[] = [];
const lines: string[] = [];

/** Stand-ins that, like the real handlers, build their clients from the environment at load. */
async function loadStandIns(): Promise<FunctionHandlers> {
  envAtLoad = { ...process.env };
  const sqs = new SQSClient({
    endpoint: process.env.SQS_ENDPOINT,
    region: process.env.AWS_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const queueUrl = process.env.INBOUND_QUEUE_URL;
  const token = process.env.API_TOKEN;
  return {
    poller: async (event) => {
      polls.push(event);
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify({ from: 'poller', eventId: event.id }),
          MessageGroupId: '20001:friend:1',
          MessageDeduplicationId: event.id,
        }),
      );
      return { status: 'done' };
    },
    consumer: async (event) => {
      consumed.push(...event.Records);
      return { batchItemFailures: [] };
    },
    send: async (event: APIGatewayProxyEventV2) => ({
      statusCode: event.headers.authorization === `Bearer ${token}` ? 200 : 401,
      body: JSON.stringify({ routeKey: event.routeKey }),
    }),
  };
}

beforeAll(async () => {
  projectDir = mkdtempSync(path.join(tmpdir(), 'local-runtime-'));
  process.env.API_TOKEN_SECRET_ID = 'left-over-from-the-shell';
  runtime = await startLocalRuntime({
    pollHoldMs: 1_000,
    autoScanAfterMs: 200,
    sqsWaitTimeSeconds: 1,
    runtimeFile: path.join(projectDir, RUNTIME_FILE),
    loadHandlers: loadStandIns,
    log: (line) => lines.push(line),
  });
});
afterAll(async () => {
  await runtime.close();
  rmSync(projectDir, { recursive: true, force: true });
  delete process.env.API_TOKEN_SECRET_ID;
});

describe('startLocalRuntime', () => {
  it('sets the functions’ environment, as the stack does, before their modules load', () => {
    expect(envAtLoad).toMatchObject({
      ACCOUNT: '20001',
      SESSIONS_TABLE: 'local-Sessions',
      RULES_TABLE: 'local-Rules',
      GUARDS_TABLE: 'local-Guards',
      INBOUND_QUEUE_URL: runtime.queues.inbound,
      DYNAMODB_ENDPOINT: runtime.dynamodbEndpoint,
      SQS_ENDPOINT: runtime.sqsEndpoint,
      SMARTQQ_BASE_URL: runtime.smartqqUrl,
      POLL_MAX_HOLD_MS: '1000',
      POLL_MARGIN_MS: '5000',
      API_TOKEN: runtime.apiToken,
      SEND_INTERVAL_MS: '3000',
      AWS_REGION: 'us-east-1',
    });
    expect(envAtLoad.API_TOKEN_SECRET_ID).toBeUndefined();
    expect(runtime.apiToken.length).toBeGreaterThanOrEqual(16);
    expect(runtime.environment.INBOUND_QUEUE_URL).toBe(runtime.queues.inbound);
  });

  it('writes the runtime file the rules CLI reads with --local', () => {
    expect(readLocalRuntime(projectDir)).toEqual({
      pid: process.pid,
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      dynamodbEndpoint: runtime.dynamodbEndpoint,
      region: 'us-east-1',
      account: '20001',
      sendApiUrl: runtime.sendApiUrl,
      apiToken: runtime.apiToken,
      tables: { rules: 'local-Rules', sessions: 'local-Sessions', guards: 'local-Guards' },
    });
  });

  it('imports the demo rules', async () => {
    const rules = await new DynamoRuleStore({ doc: runtime.doc, tableName: runtime.tables.rules }).list();
    expect(rules).toHaveLength(demoRules.length);
  });

  it('starts the simulator with the demo world, on loopback', () => {
    expect(runtime.simulator?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(runtime.smartqqUrl).toBe(runtime.simulator?.url);
    expect(runtime.simulator?.state().accounts.map((a) => a.qq)).toEqual([20001, 20002]);
    // Only the account it was asked for is served unless told otherwise (npm start serves the world's).
    expect(runtime.accounts).toEqual([runtime.account]);
  });

  it('invokes the poller at once, and feeds what it publishes to the consumer as SQS records', async () => {
    await waitFor(() => consumed.length === 1);

    expect(polls).toHaveLength(1);
    expect(polls[0]?.['detail-type']).toBe('Scheduled Event');
    const record = consumed[0] as SQSRecord;
    expect(JSON.parse(record.body)).toEqual({ from: 'poller', eventId: polls[0]?.id });
    expect(record.eventSourceARN).toMatch(/^arn:aws:sqs:us-east-1:000000000000:local-inbound\.fifo$/);
    expect(record.attributes.MessageGroupId).toBe('20001:friend:1');
    expect(runtime.functions.poller.timeoutMs).toBe(120_000);
    expect(runtime.functions.consumer.timeoutMs).toBe(60_000);
  });

  it('serves the send function on the send API’s routes', async () => {
    const ok = await fetch(`${runtime.sendApiUrl}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${runtime.apiToken}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const elsewhere = await fetch(`${runtime.sendApiUrl}/v1/nothing-here`);

    expect(runtime.sendApiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ routeKey: 'POST /v1/messages' });
    expect(elsewhere.status).toBe(404);
  });

  it('starts once per process', async () => {
    await expect(startLocalRuntime({ loadHandlers: loadStandIns })).rejects.toThrow(/once per process/);
  });

  it('stops everything on close, removes the runtime file and restores the environment', async () => {
    const file = path.join(projectDir, RUNTIME_FILE);

    await runtime.close();

    expect(existsSync(file)).toBe(false);
    expect(process.env.API_TOKEN_SECRET_ID).toBe('left-over-from-the-shell');
    expect(process.env.INBOUND_QUEUE_URL).toBeUndefined();
    await expect(fetch(`${runtime.sendApiUrl}/v1/session`)).rejects.toThrow();
    await expect(fetch(`${runtime.smartqqUrl}/_sim/state`)).rejects.toThrow();
    await expect(fetch(runtime.dynamodbEndpoint)).rejects.toThrow();
    await expect(fetch(runtime.sqsEndpoint)).rejects.toThrow();
    expect(lines).toEqual([]);
  });
});
