/**
 * The poller: `functions/poller/handler.ts` on an EventBridge schedule, one rule per shard of the
 * accounts. It reads the Sessions table (the sessions and the account registry) and writes the
 * session, its lease and the outbox (Guards), and publishes chat events to the inbound queue.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ENV } from '../lib/config.ts';
import { LINK_RESERVE_MS, PUBLISH_RESERVE_MS } from '../lib/pipeline/poller-deps.ts';
import { BotFunction, type EnvName } from './bot-function.ts';
import type { State } from './state.ts';

/**
 * Lambda's maximum. The poller holds the account's lease for its whole invocation and polls while a
 * whole cycle still fits; the ticks in between find the lease taken and exit at once. So the longer
 * the invocation, the fewer gaps without a poll between one invocation and the next (one per
 * quarter hour, at most a schedule period long). The cost is the same either way: some invocation
 * is always waiting on a long poll.
 */
export const POLLER_TIMEOUT = Duration.minutes(15);

/**
 * The longest thing one invocation must fit: a whole poll (the longest hold the server may use, plus
 * the margin for its answer), publishing what it brought, and a QR login's final link and save.
 */
export const POLLER_CYCLE_MS =
  ENV.POLL_MAX_HOLD_MS.parse(undefined) +
  ENV.POLL_MARGIN_MS.parse(undefined) +
  PUBLISH_RESERVE_MS +
  LINK_RESERVE_MS;

export interface PollerProps {
  readonly state: State;
  readonly rateMinutes: number;
  /** How many shards: one rule each, whose invocations poll the accounts of that shard. */
  readonly shards: number;
  /** The function's memory (infra/config.ts `pollerMemoryMb`: what a shard was measured to need). */
  readonly memoryMb: number;
  readonly environment: Readonly<Partial<Record<EnvName, string>>>;
}

export class Poller extends Construct {
  readonly handler: BotFunction;
  /** One rule per shard, `schedules[i]` starting the invocations of shard i. */
  readonly schedules: events.Rule[];

  constructor(scope: Construct, id: string, props: PollerProps) {
    super(scope, id);
    if (POLLER_TIMEOUT.toMilliseconds() < 2 * POLLER_CYCLE_MS) {
      throw new Error(`the poller's timeout must fit at least two poll cycles of ${POLLER_CYCLE_MS} ms`);
    }
    const { tables, queues } = props.state;
    this.handler = new BotFunction(this, 'Handler', {
      entry: 'functions/poller/handler.ts',
      description: 'QQ bot poller: logs in, long-polls SmartQQ, publishes chat events to the inbound queue',
      timeout: POLLER_TIMEOUT,
      // Mostly waiting on long polls, and some invocation always runs: kept small to keep it cheap.
      // An account with very large groups (hundreds of thousands of members) may want more.
      memorySize: props.memoryMb,
      // The poller waits to take over from one that ends within a period (lib/pipeline/poller.ts).
      environment: { ...props.environment, POLLER_RATE_MS: String(props.rateMinutes * 60_000) },
    });
    this.handler.useTable('SESSIONS_TABLE', tables.sessions, [
      'DynamoSessionStore',
      'DynamoAccountRegistryReader',
    ]);
    this.handler.useTable('GUARDS_TABLE', tables.guards, ['DynamoOutbox', 'DynamoMemberLists']);
    this.handler.useQueue('INBOUND_QUEUE_URL', queues.inbound, ['SendMessage']);

    const period = Duration.minutes(props.rateMinutes);
    // No retries and no stale ticks: the next tick is the retry, and a tick older than a period
    // would only find the lease taken. Reserved concurrency is not needed either: the lease already
    // keeps a second poller out (DESIGN.md invariant 3), and reserving would take from the account's
    // shared pool for nothing.
    this.handler.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: period });

    // Named, so that one permission lets them all in by their common prefix: one statement per rule
    // (what the events-targets LambdaFunction adds) would outgrow the function's resource policy,
    // 20 KB and not adjustable, at about 45 shards.
    const stack = Stack.of(this);
    const rulePrefix = `${stack.stackName}-poller-`;
    this.handler.function.addPermission('Schedules', {
      principal: new iam.ServicePrincipal('events.amazonaws.com'),
      action: 'lambda:InvokeFunction',
      sourceArn: stack.formatArn({ service: 'events', resource: 'rule', resourceName: `${rulePrefix}*` }),
    });
    this.schedules = [];
    for (let shard = 0; shard < props.shards; shard++) {
      const input = events.RuleTargetInput.fromObject({ shard, shards: props.shards });
      this.schedules.push(
        new events.Rule(this, `Schedule${shard}`, {
          ruleName: `${rulePrefix}${shard}`,
          description: `QQ bot poller, shard ${shard} of ${props.shards}, every ${props.rateMinutes} minute(s)`,
          schedule: events.Schedule.rate(period),
          // The function as a target, without the permission of its own that events-targets'
          // LambdaFunction would add: the one above lets every shard's rule in.
          targets: [
            {
              bind: () => ({
                arn: this.handler.function.functionArn,
                input,
                retryPolicy: { maximumRetryAttempts: 0 },
              }),
            },
          ],
        }),
      );
    }
  }
}
