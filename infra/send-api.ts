/**
 * The send API: an HTTP API (payload 2.0) in front of `functions/send/handler.ts`, with the routes the
 * handler serves, its bearer token in Secrets Manager, throttling and access logs. The send function
 * reads Sessions (and takes msg_ids from its counter), changes the account registry there, and keeps
 * pacing and idempotency records in Guards.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ROUTE_KEYS } from '../functions/send/app.ts';
import { BotFunction, type EnvName, LOG_RETENTION } from './bot-function.ts';
import { GENERATED_SECRET_LENGTH, generatedSecret } from './generated-secret.ts';
import type { State } from './state.ts';

/**
 * Requests per second on the default stage, steady and in a burst. Generous for one account whose
 * sends are paced a few seconds apart anyway; it keeps a runaway client from running up the bill.
 */
export const SEND_API_THROTTLE = { rateLimit: 10, burstLimit: 20 } as const;

/** Length of the generated bearer token. */
export const API_TOKEN_LENGTH = GENERATED_SECRET_LENGTH;

/** The OneBot API root under the API's base URL: ROUTE_KEYS' `/onebot/v11/{action}` without the action. */
export const ONEBOT_API_PATH = '/onebot/v11/';

/**
 * One access log line per request, JSON. Only API Gateway's own fields: no header, so never the
 * Authorization one (DESIGN.md invariant 7).
 */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
});

export interface SendApiProps {
  readonly state: State;
  readonly environment: Readonly<Partial<Record<EnvName, string>>>;
}

export class SendApi extends Construct {
  readonly handler: BotFunction;
  readonly token: secretsmanager.Secret;
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: SendApiProps) {
    super(scope, id);
    const { tables } = props.state;
    // Its SecretString is the token itself (functions/send/api-token.ts).
    this.token = generatedSecret(this, 'ApiToken', 'Bearer token of the QQ bot send API');
    this.handler = new BotFunction(this, 'Handler', {
      entry: 'functions/send/handler.ts',
      description: 'QQ bot send API: sends QQ messages for HTTP clients',
      // Below the HTTP API's 30-second integration limit, so the function ends a slow request itself
      // rather than leave the client a gateway timeout while it may still send.
      timeout: Duration.seconds(25),
      memorySize: 512,
      environment: props.environment,
    });
    // The account registry is an item of Sessions: the API lists, adds, pauses and removes accounts.
    this.handler.useTable('SESSIONS_TABLE', tables.sessions, [
      'DynamoSessionStore',
      'DynamoAccountRegistry',
      'DynamoOneBotIds',
    ]);
    this.handler.useTable('GUARDS_TABLE', tables.guards, [
      'DynamoSendPacing',
      'DynamoIdempotencyStore',
      'DynamoMemberListReader',
    ]);
    this.handler.useSecret('API_TOKEN_SECRET_ID', this.token);

    // No CORS: the callers are programs, not pages of other sites.
    this.api = new apigwv2.HttpApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-send`,
      description: 'QQ bot send API',
      createDefaultStage: false,
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: LOG_RETENTION,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: SEND_API_THROTTLE,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(ACCESS_LOG_FORMAT),
      },
    });
    const integration = new HttpLambdaIntegration('Send', this.handler.function, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
    });
    // The handler's own list: a route it does not serve cannot be deployed, nor one it serves missed.
    for (const key of ROUTE_KEYS) {
      const [method, path] = key.split(' ') as [keyof typeof apigwv2.HttpMethod, string];
      this.api.addRoutes({ path, methods: [apigwv2.HttpMethod[method]], integration });
    }
  }
}
