/**
 * Least privilege: each function's role holds exactly what its code uses, on its own resources.
 * The expected grants are written out here; the last part also derives them from the handlers and
 * the stores, so a store that starts using another DynamoDB call fails here, not in AWS.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_KEYS } from '../../functions/send/app.ts';
import type { BotFunction } from '../../infra/bot-function.ts';
import { dynamoActions, STORE_ACTIONS, type StoreName } from '../../infra/store-access.ts';
import { type CfnResource, resourcesOf, type Synthesized, synthesize } from './synth.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

type FunctionName = 'poller' | 'consumer' | 'send';

let synth: Synthesized;
let ids: Record<string, string>;
let fns: Record<FunctionName, BotFunction>;
/** The same stack with a OneBot bot (`-c onebotPostUrl=…`). */
let onebot: Synthesized;
let onebotFns: Record<FunctionName, BotFunction>;

const functionsOf = ({ stack }: Synthesized): Record<FunctionName, BotFunction> => ({
  poller: stack.poller.handler,
  consumer: stack.inbound.consumer,
  send: stack.sendApi.handler,
});

beforeAll(() => {
  synth = synthesize();
  onebot = synthesize({ context: { onebotPostUrl: 'https://bot.example/onebot' } });
  onebotFns = functionsOf(onebot);
  const { stack } = synth;
  const id = (c: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(c.node.defaultChild as CfnElement);
  fns = functionsOf(synth);
  ids = {
    Sessions: id(stack.state.tables.sessions),
    Rules: id(stack.state.tables.rules),
    Guards: id(stack.state.tables.guards),
    Inbound: id(stack.state.queues.inbound),
    InboundDlq: id(stack.state.queues.inboundDlq),
    ApiToken: id(stack.sendApi.token),
    PollerLogs: id(fns.poller.logGroup),
    ConsumerLogs: id(fns.consumer.logGroup),
    SendLogs: id(fns.send.logGroup),
  };
});

/** The logical id a `Ref` or `Fn::GetAtt [id, 'Arn']` points at, or the value itself. */
function target(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    if ('Ref' in value) return String(value.Ref);
    if ('Fn::GetAtt' in value) return String((value['Fn::GetAtt'] as unknown[])[0]);
  }
  return JSON.stringify(value);
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

function statementsOf(fn: BotFunction, from: Synthesized = synth): Statement[] {
  const roleId = from.stack.getLogicalId(fn.role.node.defaultChild as CfnElement);
  const policies = Object.values(resourcesOf(from.template, 'AWS::IAM::Policy')).filter((p) =>
    (p.Properties.Roles as unknown[]).some((r) => target(r) === roleId),
  );
  return policies.flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** A role's grants as `action on logical id` lines, sorted: easy to read in a failure. */
function grantsOf(fn: BotFunction, from: Synthesized = synth): string[] {
  return statementsOf(fn, from)
    .flatMap((s) => {
      expect(s.Effect).toBe('Allow');
      return list(s.Action).flatMap((a) => list(s.Resource).map((r) => `${a} on ${target(r)}`));
    })
    .sort();
}

const on = (resource: string, ...actions: string[]) => actions.map((a) => `${a} on ${resource}`);

describe('each function may touch only its own tables, queues and secret', () => {
  it('poller: its log group; Sessions (and reading the account registry there); the outbox and member lists in Guards; publishing to the inbound queue', () => {
    expect(grantsOf(fns.poller)).toEqual(
      [
        ...on(ids.PollerLogs as string, 'logs:CreateLogStream', 'logs:PutLogEvents'),
        // GetItem: the session, and the registry item (its own store, GetItem only).
        ...on(ids.Sessions as string, 'dynamodb:GetItem', 'dynamodb:UpdateItem'),
        // The outbox, and the member lists of each login (GetItem: a chat's list read back).
        ...on(ids.Guards as string, 'dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:Query'),
        ...on(ids.Inbound as string, 'sqs:SendMessage'),
      ].sort(),
    );
  });

  it('consumer: its log group; Sessions (and the OneBot ids there); reading Rules (no Scan, no writes); Guards; receiving from the inbound queue (and deferring a record); sending to the DLQ', () => {
    expect(grantsOf(fns.consumer)).toEqual(
      [
        ...on(ids.ConsumerLogs as string, 'logs:CreateLogStream', 'logs:PutLogEvents'),
        ...on(ids.Sessions as string, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'),
        ...on(ids.Rules as string, 'dynamodb:GetItem', 'dynamodb:Query'),
        ...on(
          ids.Guards as string,
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
        ),
        // ChangeMessageVisibility: a record whose send turn is seconds away comes back then.
        ...on(
          ids.Inbound as string,
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:ReceiveMessage',
        ),
        // A record that can never parse is set aside at once (functions/consumer/dead-letter.ts).
        ...on(ids.InboundDlq as string, 'sqs:SendMessage'),
      ].sort(),
    );
  });

  it('send: its log group; Sessions, and changing the account registry there; pacing and idempotency in Guards; reading the token secret', () => {
    expect(grantsOf(fns.send)).toEqual(
      [
        ...on(ids.SendLogs as string, 'logs:CreateLogStream', 'logs:PutLogEvents'),
        // PutItem: a change of the registry item (the sessions are only ever updated).
        ...on(ids.Sessions as string, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'),
        ...on(
          ids.Guards as string,
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
        ),
        ...on(ids.ApiToken as string, 'secretsmanager:GetSecretValue'),
      ].sort(),
    );
  });

  it('only the consumer may touch the DLQ, only to send to it, and only the consumer the Rules table', () => {
    for (const [name, fn] of Object.entries(fns)) {
      const grants = grantsOf(fn);
      expect(grants.filter((g) => g.endsWith(` on ${ids.InboundDlq}`))).toEqual(
        name === 'consumer' ? [`sqs:SendMessage on ${ids.InboundDlq}`] : [],
      );
      if (name !== 'consumer') expect(grants.filter((g) => g.endsWith(` on ${ids.Rules}`))).toEqual([]);
    }
  });

  it.each([
    ['default', () => synth],
    ['with a OneBot bot', () => onebot],
  ])('no IAM statement in the stack (%s) has a wildcard action or resource', (_variant, of) => {
    const policies = resourcesOf(of().template, 'AWS::IAM::Policy');
    expect(Object.keys(policies)).toHaveLength(3);
    for (const policy of Object.values(policies)) {
      for (const s of (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement) {
        for (const action of list(s.Action)) expect(action).not.toMatch(/\*/);
        for (const resource of list(s.Resource)) expect(JSON.stringify(resource)).not.toMatch(/"\*"|:\*"/);
      }
    }
  });

  it.each([
    ['default', () => synth],
    ['with a OneBot bot', () => onebot],
  ])('roles (%s): assumed by Lambda only, no managed policies, no inline policies', (_variant, of) => {
    const roles = Object.values(resourcesOf(of().template, 'AWS::IAM::Role'));
    expect(roles).toHaveLength(3);
    for (const role of roles) {
      expect(role.Properties.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
        ],
      });
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.Policies).toBeUndefined();
    }
  });

  it('invoke permissions name their source: the schedule rule or a route of the API', () => {
    const permissions = Object.values(resourcesOf(synth.template, 'AWS::Lambda::Permission'));
    // One for every shard's schedule rule (by their names: infra/poller.ts), one per route of the API.
    expect(permissions).toHaveLength(1 + ROUTE_KEYS.length);
    for (const permission of permissions) {
      expect(permission.Properties.SourceArn).toBeDefined();
      expect(['events.amazonaws.com', 'apigateway.amazonaws.com']).toContain(permission.Properties.Principal);
    }
  });
});

describe('with a OneBot bot: the consumer may also read the signing secret, that one only', () => {
  it('consumer: exactly its grants above, and GetSecretValue on the OneBot secret', () => {
    const secret = onebot.stack.inbound.onebotSecret;
    if (!secret) throw new Error('no OneBot secret');
    const secretId = onebot.stack.getLogicalId(secret.node.defaultChild as CfnElement);
    expect(grantsOf(onebotFns.consumer, onebot)).toEqual(
      [...grantsOf(fns.consumer), `secretsmanager:GetSecretValue on ${secretId}`].sort(),
    );
    // Not the API token: reading one secret is no way into the other.
    expect(secretId).not.toBe(ids.ApiToken);
  });

  it('poller and send: their grants above, nothing more (the send function does not sign posts)', () => {
    expect(grantsOf(onebotFns.poller, onebot)).toEqual(grantsOf(fns.poller));
    expect(grantsOf(onebotFns.send, onebot)).toEqual(grantsOf(fns.send));
  });
});

describe('the grants follow the code (handlers and lib/stores)', () => {
  const HANDLERS: Record<FunctionName, string> = {
    poller: 'functions/poller/handler.ts',
    consumer: 'functions/consumer/handler.ts',
    send: 'functions/send/handler.ts',
  };

  /** The stores a handler builds, by the variable naming their table: `{ GUARDS_TABLE: [...] }`. */
  function storesBuiltBy(file: string): Record<string, StoreName[]> {
    const source = read(file);
    const tableVariable = (argument: string): string => {
      const inline = /tableName: env\.(\w+)/.exec(argument);
      if (inline?.[1]) return inline[1];
      const named = new RegExp(`const ${argument} = \\{[^}]*tableName: env\\.(\\w+)`).exec(source);
      if (!named?.[1]) throw new Error(`${file}: cannot tell the table of ${argument}`);
      return named[1];
    };
    const stores: Record<string, StoreName[]> = {};
    for (const [, store, argument] of source.matchAll(/new (Dynamo\w+)\((\{[^}]*\}|\w+)/g)) {
      if (!store || !argument) continue;
      expect(
        Object.keys(STORE_ACTIONS),
        `${file} builds ${store}: add it to infra/store-access.ts`,
      ).toContain(store);
      const variable = tableVariable(argument);
      stores[variable] = [...(stores[variable] ?? []), store as StoreName];
    }
    return stores;
  }

  it.each(Object.keys(HANDLERS) as FunctionName[])(
    '%s: DynamoDB actions = those of the stores its handler builds, on the table each is given',
    (name) => {
      const fn = fns[name];
      const environment = envOf(fn);
      const expected = Object.entries(storesBuiltBy(HANDLERS[name]))
        .flatMap(([variable, stores]) => {
          const table = target(environment[variable]);
          return dynamoActions(stores).map((action) => `${action} on ${table}`);
        })
        .sort();
      expect(grantsOf(fn).filter((g) => g.startsWith('dynamodb:'))).toEqual(expected);
    },
  );

  function envOf(fn: BotFunction): Record<string, unknown> {
    const id = synth.stack.getLogicalId(fn.function.node.defaultChild as CfnElement);
    const resource = synth.template.toJSON().Resources[id] as CfnResource;
    return (resource.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
  }

  const COMMAND_ACTIONS: Record<string, string> = {
    Get: 'GetItem',
    // The low-level commands (a store that reads items it must check attribute by attribute).
    GetItem: 'GetItem',
    Put: 'PutItem',
    Update: 'UpdateItem',
    Delete: 'DeleteItem',
    Query: 'Query',
    Scan: 'Scan',
    BatchWrite: 'BatchWriteItem',
    BatchGet: 'BatchGetItem',
    TransactWrite: 'TransactWriteItems',
    TransactGet: 'TransactGetItems',
  };

  const STORE_FILES = readdirSync(path.join(ROOT, 'lib/stores')).filter((f) => f.endsWith('.ts'));

  /** The DynamoDB actions of the commands sent in `code`. */
  function commandActions(code: string, where: string): string[] {
    return [...code.matchAll(/new (\w+)Command\(/g)].map(([, command]) => {
      const action = COMMAND_ACTIONS[command ?? ''];
      if (!action) throw new Error(`${where} sends ${command}Command: map it to its IAM action`);
      return action;
    });
  }

  /**
   * The DynamoDB actions a store class sends: in its body (up to the next export), and in the helpers
   * of lib/stores it calls there (`batchWrite` of batch-write.ts).
   */
  function actionsInClass(store: string): string[] {
    for (const file of STORE_FILES) {
      const source = read(`lib/stores/${file}`);
      const start = source.indexOf(`export class ${store} `);
      if (start < 0) continue;
      const end = source.indexOf('\nexport ', start + 1);
      const body = source.slice(start, end < 0 ? undefined : end);
      const actions = commandActions(body, store);
      for (const [, names, helper] of source.matchAll(/import \{([^}]*)\} from '\.\/([\w-]+\.ts)'/g)) {
        const called = (names ?? '')
          .split(',')
          .map((n) => n.trim())
          .filter((n) => n && !n.startsWith('type '))
          .some((n) => new RegExp(`\\b${n}\\(`).test(body));
        if (called) actions.push(...commandActions(read(`lib/stores/${helper}`), `${store} (${helper})`));
      }
      return [...new Set(actions)].sort();
    }
    throw new Error(`no store class ${store} in lib/stores`);
  }

  it('the account registry, an item of Sessions: the poller and the consumer build the reader, which cannot change it; the send function the store that does', () => {
    const built = (name: FunctionName) => storesBuiltBy(HANDLERS[name]);
    expect(built('poller').SESSIONS_TABLE).toContain('DynamoAccountRegistryReader');
    expect(Object.values(built('poller')).flat()).not.toContain('DynamoAccountRegistry');
    expect(STORE_ACTIONS.DynamoAccountRegistryReader).toEqual(['GetItem']);
    expect(built('send').SESSIONS_TABLE).toContain('DynamoAccountRegistry');
    // The consumer reads it (each account's own OneBot bot), never changes it.
    expect(built('consumer').SESSIONS_TABLE).toContain('DynamoAccountRegistryReader');
    expect(Object.values(built('consumer')).flat()).not.toContain('DynamoAccountRegistry');
  });

  it.each(Object.keys(STORE_ACTIONS).filter((s) => s !== 'DynamoRuleStore') as StoreName[])(
    '%s: STORE_ACTIONS lists exactly the commands the store sends',
    (store) => {
      expect([...STORE_ACTIONS[store]].sort()).toEqual(actionsInClass(store));
    },
  );

  it('DynamoRuleStore: the consumer reads it only through RuleCache, by version() and list(account)', () => {
    const calls = [...read('lib/rules/rule-cache.ts').matchAll(/this\.source\.(\w+)\(/g)].map(([, m]) => m);
    expect(new Set(calls)).toEqual(new Set(['version', 'list']));
    expect(read('lib/rules/rule-cache.ts')).toMatch(/this\.source\.list\(account\)/);
    // version() is a GetItem, list(account) Queries the account's partition and `*`'s.
    expect(actionsInClass('DynamoRuleStore')).toEqual(
      expect.arrayContaining([...STORE_ACTIONS.DynamoRuleStore]),
    );
    expect(STORE_ACTIONS.DynamoRuleStore).not.toContain('Scan');
  });
});
