/**
 * One of the bot's Lambda functions: bundled from `functions/` with the local esbuild, its own role
 * (nothing but its log group to start with) and its own log group. Access is added with `useTable`,
 * `useQueue` and `useSecret`, which grant and set the variable together: a function never sees a
 * table it may not use, nor uses one it cannot see.
 */
import path from 'node:path';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ENV } from '../lib/config.ts';
import { dynamoActions, type StoreName } from './store-access.ts';

/** A variable the functions read (lib/config.ts): a typo is a type error, not a cold-start failure. */
export type EnvName = keyof typeof ENV;

export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');

export const LOG_RETENTION = logs.RetentionDays.ONE_MONTH;

/**
 * An ESM bundle has no `require`, but CommonJS dependencies bundled into it still call it for Node
 * built-ins (pngjs, behind the QR code, requires zlib, stream and util): give them one. Aliased so
 * that it cannot clash with a `createRequire` the bundle imports itself.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __bannerCreateRequire } from 'node:module'; const require = __bannerCreateRequire(import.meta.url);";

export interface BotFunctionProps {
  /** The handler file, from the project root: `functions/poller/handler.ts`. */
  readonly entry: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  /** Variables every use of the function needs (ACCOUNT, SMARTQQ_*, ...). */
  readonly environment: Readonly<Partial<Record<EnvName, string>>>;
}

export class BotFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: BotFunctionProps) {
    super(scope, id);
    // Logs are kept a month and go with the stack: nothing in them is needed to run the bot again.
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: LOG_RETENTION,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Our own role rather than AWSLambdaBasicExecutionRole: that one may write to any log group.
    this.role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        // The group's Arn attribute ends in `:*`: its streams, whose names Lambda picks.
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        ...props.environment,
        // Stack traces name the TypeScript files and lines, not the minified bundle's.
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        // The esbuild of node_modules (a pinned devDependency), never a Docker image: synth works
        // offline and on machines without Docker.
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        target: 'node22',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        logLevel: LogLevel.WARNING,
        // The AWS SDK is bundled, not taken from the runtime: the versions package-lock.json pins
        // are the ones the tests ran, and the runtime's copy changes without notice.
        bundleAwsSDK: true,
        externalModules: [],
      },
    });
  }

  setEnv(name: EnvName, value: string): void {
    this.function.addEnvironment(name, value);
  }

  /** Names the table in `variable` and grants exactly the actions of the stores built on it. */
  useTable(variable: EnvName, table: dynamodb.ITable, stores: readonly StoreName[]): void {
    this.setEnv(variable, table.tableName);
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: dynamoActions(stores), resources: [table.tableArn] }),
    );
  }

  /** Names the queue in `variable` (when the code needs its URL) and grants the given SQS actions. */
  useQueue(variable: EnvName | undefined, queue: sqs.IQueue, actions: readonly SqsAction[]): void {
    if (variable !== undefined) this.setEnv(variable, queue.queueUrl);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: [...actions].sort().map((a) => `sqs:${a}`),
        resources: [queue.queueArn],
      }),
    );
  }

  /** Names the secret in `variable` (its ARN) and lets the function read its value, nothing else. */
  useSecret(variable: EnvName, secret: secretsmanager.ISecret): void {
    this.setEnv(variable, secret.secretArn);
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
    );
  }
}

export type SqsAction =
  | 'SendMessage'
  | 'ReceiveMessage'
  | 'DeleteMessage'
  | 'GetQueueAttributes'
  | 'ChangeMessageVisibility';
