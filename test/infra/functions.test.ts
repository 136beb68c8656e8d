/**
 * The three functions as deployed: runtime, bundles (really built with esbuild, then started the way
 * Lambda starts them), timeouts, environment, log groups, the poller's schedule and the consumer's
 * event source.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BotFunction } from '../../infra/bot-function.ts';
import { DEFAULT_POLLER_MEMORY_MB, MAX_POLLER_RATE_MINUTES } from '../../infra/config.ts';
import { CONSUMER_BATCH_SIZE } from '../../infra/inbound-pipeline.ts';
import { POLLER_CYCLE_MS, POLLER_TIMEOUT } from '../../infra/poller.ts';
import { ENV } from '../../lib/config.ts';
import { MAX_SHARDS, parseShardEvent } from '../../lib/pipeline/shard.ts';
import { CONSUMER_TIMEOUT_SECONDS, QUEUES } from '../../lib/state/queues.ts';
import {
  type CfnResource,
  resourceOf,
  resourcesOf,
  type Synthesized,
  synthesize,
  TEST_ACCOUNT,
} from './synth.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

type FunctionName = 'poller' | 'consumer' | 'send';
const HANDLERS: Record<FunctionName, string> = {
  poller: 'functions/poller/handler.ts',
  consumer: 'functions/consumer/handler.ts',
  send: 'functions/send/handler.ts',
};

let synth: Synthesized;
let fns: Record<FunctionName, BotFunction>;

beforeAll(() => {
  // The one synthesis with bundling: esbuild really builds the three handlers. With a OneBot bot,
  // so that the consumer starts with its ONEBOT_* variables too.
  synth = synthesize({
    bundle: true,
    context: {
      smartqqBaseUrl: 'https://smartqq.example.com',
      accounts: '20002,20003',
      onebotPostUrl: 'https://bot.example/onebot',
    },
  });
  const { stack } = synth;
  fns = { poller: stack.poller.handler, consumer: stack.inbound.consumer, send: stack.sendApi.handler };
}, 120_000);

function cfn(construct: { node: { defaultChild?: unknown } }): [string, CfnResource] {
  const id = synth.stack.getLogicalId(construct.node.defaultChild as CfnElement);
  return [id, synth.template.toJSON().Resources[id] as CfnResource];
}

const lambdaOf = (name: FunctionName) => cfn(fns[name].function)[1];
const variablesOf = (name: FunctionName) =>
  (lambdaOf(name).Properties.Environment as { Variables: Record<string, unknown> }).Variables;

/** The variables a handler reads: its `readEnv([...])` list. */
function readByHandler(name: FunctionName): string[] {
  const source = readFileSync(path.join(ROOT, HANDLERS[name]), 'utf8');
  const list = /readEnv\(\[([^\]]*)\]/.exec(source)?.[1];
  if (!list) throw new Error(`${HANDLERS[name]}: no readEnv([...])`);
  return [...list.matchAll(/'(\w+)'/g)].map(([, key]) => key as string);
}

describe('runtime and bundling', () => {
  it.each(Object.keys(HANDLERS) as FunctionName[])('%s: Node.js 22 on arm64, an ESM bundle', (name) => {
    expect(lambdaOf(name).Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
    });
  });

  it.each(Object.keys(HANDLERS) as FunctionName[])(
    '%s: minified ESM with a require for CommonJS dependencies, its source map, the AWS SDK inside',
    (name) => {
      const dir = bundleDir(name);
      const code = readFileSync(path.join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith("import { createRequire as __bannerCreateRequire } from 'node:module';")).toBe(
        true,
      );
      expect(code.split('\n').length).toBeLessThan(200);
      expect(existsSync(path.join(dir, 'index.mjs.map'))).toBe(true);
      expect(variablesOf(name).NODE_OPTIONS).toBe('--enable-source-maps');
      // Bundled, not taken from the runtime: no import of @aws-sdk is left outside the bundle.
      expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
      expect(code).toContain('DynamoDB');
    },
  );

  it.each(Object.keys(HANDLERS) as FunctionName[])(
    '%s: the bundle starts with the environment the stack gives it',
    (name) => {
      // Poller and consumer read their configuration at load; the send function on its first
      // request, so it answers one: GET /v1/openapi.json needs no token and no AWS call.
      const script =
        name === 'send'
          ? `const { handler } = await import('./index.mjs');
             const answer = await handler(${JSON.stringify(openApiEvent())}, ${LAMBDA_CONTEXT});
             console.log(JSON.stringify({ type: typeof handler, status: answer.statusCode }));`
          : `const { handler } = await import('./index.mjs');
             console.log(JSON.stringify({ type: typeof handler }));`;
      const out = execFileSync(
        process.execPath,
        ['--enable-source-maps', '--input-type=module', '-e', script],
        {
          cwd: bundleDir(name),
          env: { PATH: process.env.PATH, ...lambdaEnvironment(name) },
          encoding: 'utf8',
        },
      );
      const last = JSON.parse(out.trim().split('\n').pop() ?? '{}');
      expect(last.type).toBe('function');
      if (name === 'send') expect(last.status).toBe(200);
    },
  );
});

describe('environment: what each handler reads, and nothing it does not', () => {
  it.each(Object.keys(HANDLERS) as FunctionName[])('%s', (name) => {
    const read = readByHandler(name);
    const given = Object.keys(variablesOf(name)).filter((k) => k in ENV);
    for (const key of given) expect(read, `${name} is given ${key} but never reads it`).toContain(key);
    const required = read.filter((k) => !ENV[k as keyof typeof ENV].safeParse(undefined).success);
    for (const key of required) expect(given, `${name} needs ${key}`).toContain(key);
    // Endpoint overrides are for the emulators only.
    expect(given).not.toContain('DYNAMODB_ENDPOINT');
    expect(given).not.toContain('SQS_ENDPOINT');
  });

  it('the account and the SmartQQ hosts (context) go to every function', () => {
    for (const name of Object.keys(HANDLERS) as FunctionName[]) {
      expect(variablesOf(name)).toMatchObject({
        ACCOUNT: TEST_ACCOUNT,
        SMARTQQ_BASE_URL: 'https://smartqq.example.com',
      });
    }
  });

  it('ACCOUNTS, the account first, to the poller and the send function; not to the consumer', () => {
    expect(variablesOf('poller').ACCOUNTS).toBe(`${TEST_ACCOUNT},20002,20003`);
    expect(variablesOf('send').ACCOUNTS).toBe(`${TEST_ACCOUNT},20002,20003`);
    // Each event names its account: the consumer answers for it.
    expect(variablesOf('consumer')).not.toHaveProperty('ACCOUNTS');
  });

  it('ACCOUNTS is the account alone without `accounts` in the context', () => {
    const single = synthesize();
    for (const fn of [single.stack.poller.handler, single.stack.sendApi.handler]) {
      const [, resource] = resourceOf(single, fn.function);
      expect(resource.Properties.Environment).toMatchObject({ Variables: { ACCOUNTS: TEST_ACCOUNT } });
    }
  });

  it('the send pace goes to both functions that send, the same value', () => {
    expect(variablesOf('consumer').SEND_INTERVAL_MS).toBe('3000');
    expect(variablesOf('send').SEND_INTERVAL_MS).toBe('3000');
    expect(variablesOf('consumer').SEND_BURST).toBe('3');
    expect(variablesOf('send').SEND_BURST).toBe('3');
    // The circuit breaker guards the replies only: the send API is the owner's own voice.
    expect(variablesOf('consumer').CONVERSATION_REPLIES_PER_MINUTE).toBe('6');
    expect(variablesOf('send').CONVERSATION_REPLIES_PER_MINUTE).toBeUndefined();
  });

  it('consumer: the URL of the inbound DLQ, where it sets aside records that can never parse', () => {
    const [dlqId] = cfn(synth.stack.state.queues.inboundDlq);
    expect(variablesOf('consumer').INBOUND_DLQ_URL).toEqual({ Ref: dlqId });
    expect(variablesOf('poller')).not.toHaveProperty('INBOUND_DLQ_URL');
    expect(variablesOf('send')).not.toHaveProperty('INBOUND_DLQ_URL');
  });

  it('consumer: the OneBot signing secret as a secret to fetch, never as a plain value', () => {
    const secret = synth.stack.inbound.onebotSecret;
    if (!secret) throw new Error('no OneBot secret');
    const [secretId] = cfn(secret);
    expect(variablesOf('consumer').ONEBOT_SECRET_ID).toEqual({ Ref: secretId });
    expect(variablesOf('consumer')).not.toHaveProperty('ONEBOT_SECRET');
  });

  it('send: the token as a secret to fetch, never as a plain value', () => {
    const [secretId] = cfn(synth.stack.sendApi.token);
    expect(variablesOf('send').API_TOKEN_SECRET_ID).toEqual({ Ref: secretId });
    expect(variablesOf('send')).not.toHaveProperty('API_TOKEN');
  });
});

describe('timeouts and logs', () => {
  it('consumer: CONSUMER_TIMEOUT_SECONDS, well inside the queue visibility timeout', () => {
    expect(lambdaOf('consumer').Properties.Timeout).toBe(CONSUMER_TIMEOUT_SECONDS);
    expect(QUEUES.inbound.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * CONSUMER_TIMEOUT_SECONDS);
  });

  it('poller: 128 MB by default, the memory of the context otherwise', () => {
    expect(lambdaOf('poller').Properties.MemorySize).toBe(DEFAULT_POLLER_MEMORY_MB);
    const larger = synthesize({ context: { pollerMemoryMb: '192' } });
    const { poller, inbound, sendApi } = larger.stack;
    expect(resourceOf(larger, poller.handler.function)[1].Properties.MemorySize).toBe(192);
    // The other functions keep theirs.
    expect(resourceOf(larger, inbound.consumer.function)[1].Properties.MemorySize).toBe(512);
    expect(resourceOf(larger, sendApi.handler.function)[1].Properties.MemorySize).toBe(512);
  });

  it('poller: 15 minutes, several whole poll cycles', () => {
    expect(lambdaOf('poller').Properties.Timeout).toBe(15 * 60);
    expect(POLLER_CYCLE_MS).toBe(120_000 + 5_000 + 10_000 + 15_000);
    expect(POLLER_TIMEOUT.toMilliseconds()).toBeGreaterThanOrEqual(5 * POLLER_CYCLE_MS);
  });

  it('send: under the HTTP API 30-second integration limit', () => {
    expect(lambdaOf('send').Properties.Timeout).toBeLessThan(30);
  });

  it.each(Object.keys(HANDLERS) as FunctionName[])('%s: its own log group, kept a month', (name) => {
    const [logsId, logs] = cfn(fns[name].logGroup);
    expect(lambdaOf(name).Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logsId } });
    expect(logs.Properties.RetentionInDays).toBe(30);
  });

  it('every log group in the stack has a retention', () => {
    const groups = Object.values(resourcesOf(synth.template, 'AWS::Logs::LogGroup'));
    expect(groups).toHaveLength(4);
    for (const group of groups) expect(group.Properties.RetentionInDays).toBe(30);
  });
});

describe('poller schedule: one EventBridge rule per shard', () => {
  /** The rules of a synthesis by shard, with the Input each passes parsed. */
  function rulesOf(template: Synthesized['template']) {
    return Object.values(resourcesOf(template, 'AWS::Events::Rule'))
      .map((rule) => {
        const [target, ...others] = rule.Properties.Targets as Record<string, unknown>[];
        expect(others).toEqual([]);
        return { rule, target: target as Record<string, unknown>, input: JSON.parse(String(target?.Input)) };
      })
      .sort((a, b) => a.input.shard - b.input.shard);
  }

  it('one rule by default, every minute, invoking the poller as shard 0 of 1, without retries', () => {
    const [pollerId] = cfn(fns.poller.function);
    const rules = rulesOf(synth.template);
    expect(rules).toHaveLength(1);
    expect(rules[0]?.rule.Properties).toEqual({
      Name: `QQBot-${TEST_ACCOUNT}-poller-0`,
      Description: 'QQ bot poller, shard 0 of 1, every 1 minute(s)',
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [pollerId, 'Arn'] },
          Id: 'Target0',
          Input: '{"shard":0,"shards":1}',
          RetryPolicy: { MaximumRetryAttempts: 0 },
        },
      ],
    });
    synth.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: pollerId },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });

  it('shards=N: N rules, shard i of N each, the same rate and retries, all invoking the one poller', () => {
    const sharded = synthesize({ context: { shards: '3', pollerRateMinutes: '2' } });
    const [pollerId] = resourceOf(sharded, sharded.stack.poller.handler.function);
    const rules = rulesOf(sharded.template);
    expect(rules.map(({ input }) => input)).toEqual([
      { shard: 0, shards: 3 },
      { shard: 1, shards: 3 },
      { shard: 2, shards: 3 },
    ]);
    // The handler's own parser reads each input as the shard it names.
    expect(rules.map(({ input }) => parseShardEvent(input))).toEqual(rules.map(({ input }) => input));
    expect(sharded.stack.poller.schedules).toHaveLength(3);
    for (const [i, { rule, target }] of rules.entries()) {
      expect(rule.Properties).toMatchObject({
        Name: `QQBot-${TEST_ACCOUNT}-poller-${i}`,
        ScheduleExpression: 'rate(2 minutes)',
        State: 'ENABLED',
      });
      expect(target).toMatchObject({
        Arn: { 'Fn::GetAtt': [pollerId, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0 },
      });
    }
    sharded.template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
    sharded.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: pollerId },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 120,
    });
  });

  it('one invoke permission for every shard rule, by their names: it does not grow with the shards', () => {
    const sharded = synthesize({ context: { shards: String(MAX_SHARDS) } });
    expect(rulesOf(sharded.template)).toHaveLength(MAX_SHARDS);
    const [pollerId] = resourceOf(sharded, sharded.stack.poller.handler.function);
    const permissions = Object.values(resourcesOf(sharded.template, 'AWS::Lambda::Permission')).filter((p) =>
      JSON.stringify(p.Properties.FunctionName).includes(`"${pollerId}"`),
    );
    expect(permissions).toHaveLength(1);
    expect(permissions[0]?.Properties).toEqual({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [pollerId, 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':events:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            `:rule/QQBot-${TEST_ACCOUNT}-poller-*`,
          ],
        ],
      },
    });
    // Every shard rule is named under the prefix, which is this stack's alone: the rules of another
    // account's stack (QQBot-200010-poller-0) do not match it.
    const prefix = `QQBot-${TEST_ACCOUNT}-poller-`;
    for (const { rule } of rulesOf(sharded.template)) {
      expect(rule.Properties.Name).toMatch(new RegExp(`^${prefix}\\d+$`));
    }
    expect(`QQBot-${TEST_ACCOUNT}0-poller-0`.startsWith(prefix)).toBe(false);
  });

  it('the slowest schedule allowed still starts a poller before the last one ends', () => {
    expect(MAX_POLLER_RATE_MINUTES).toBeLessThanOrEqual(POLLER_TIMEOUT.toMinutes());
  });

  it('no reserved concurrency: the lease keeps a second poller out', () => {
    expect(lambdaOf('poller').Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('the rate comes from the context', () => {
    const slow = synthesize({ context: { pollerRateMinutes: '5' } });
    slow.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    slow.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumEventAgeInSeconds: 300 });
  });
});

describe('consumer event source', () => {
  it('the inbound FIFO queue, batches of at most 10, reporting batch item failures', () => {
    const [queueId] = cfn(synth.stack.state.queues.inbound);
    const [consumerId] = cfn(fns.consumer.function);
    const mappings = Object.values(resourcesOf(synth.template, 'AWS::Lambda::EventSourceMapping'));
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.Properties).toEqual({
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: consumerId },
      BatchSize: CONSUMER_BATCH_SIZE,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
    expect(CONSUMER_BATCH_SIZE).toBeLessThanOrEqual(10);
  });

  it('is created after the role may receive from the queue', () => {
    const [, consumer] = cfn(fns.consumer.function);
    const [policyId] = cfn(fns.consumer.role.node.findChild('DefaultPolicy'));
    expect(consumer.DependsOn).toContain(policyId);
  });
});

// ── Helpers ─────────────────────────────────────────────────────────────────────────────────────

/** The staged bundle of a function in the cloud assembly. */
function bundleDir(name: FunctionName): string {
  const assetPath = lambdaOf(name).Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string') throw new Error(`${name}: no asset path`);
  return path.join(synth.outdir, assetPath);
}

/**
 * The function's environment as Lambda would set it, with the deploy-time values (table names,
 * queue URL, secret ARN) replaced by plausible ones.
 */
function lambdaEnvironment(name: FunctionName): Record<string, string> {
  const resolved = Object.entries(variablesOf(name)).map(([key, value]) => {
    if (typeof value === 'string') return [key, value];
    return [
      key,
      key.endsWith('_URL') ? 'https://sqs.us-east-1.amazonaws.com/000000000000/q.fifo' : `test-${key}`,
    ];
  });
  return {
    ...Object.fromEntries(resolved),
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

const LAMBDA_CONTEXT = `{
  functionName: 'send', functionVersion: '$LATEST', memoryLimitInMB: '512',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:send',
  awsRequestId: 'test-request', logGroupName: 'send', logStreamName: 'send',
  callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 25000,
}`;

function openApiEvent() {
  return {
    version: '2.0',
    routeKey: 'GET /v1/openapi.json',
    rawPath: '/v1/openapi.json',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: {
        method: 'GET',
        path: '/v1/openapi.json',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'test',
      },
      requestId: 'test-request',
      routeKey: 'GET /v1/openapi.json',
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 0,
    },
  };
}
