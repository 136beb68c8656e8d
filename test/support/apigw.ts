/**
 * API Gateway HTTP API (payload format 2.0) events as API Gateway builds them, and a Lambda
 * context, for driving the send function in tests.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { templateOf } from './openapi-conformance.ts';

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** e.g. `/v1/messages?account=20001`. */
  readonly path: string;
  /** As a client writes them; names are lowercased, as API Gateway does. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A string is sent as is; anything else as its JSON. */
  readonly body?: unknown;
  /** Send the body base64-encoded, as API Gateway does for non-text content types. */
  readonly base64?: boolean;
  /** The route key of the matched route; defaults to `METHOD /path` (one route per operation). */
  readonly routeKey?: string;
}

const ACCOUNT_ID = '123456789012';
const API_ID = 'a1b2c3d4e5';
const DOMAIN = `${API_ID}.execute-api.eu-west-1.amazonaws.com`;

export function apiEvent(request: HttpRequest): APIGatewayProxyEventV2 {
  const [rawPath = '/', rawQueryString = ''] = request.path.split('?', 2);
  const bodyText =
    request.body === undefined
      ? undefined
      : typeof request.body === 'string'
        ? request.body
        : JSON.stringify(request.body);
  const headers: Record<string, string> = {
    accept: '*/*',
    host: DOMAIN,
    'user-agent': 'curl/8.5.0',
    'x-amzn-trace-id': `Root=1-${Date.now().toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    'x-forwarded-for': '203.0.113.7',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
    ...(bodyText === undefined
      ? {}
      : { 'content-length': String(Buffer.byteLength(bodyText)), 'content-type': 'application/json' }),
  };
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  const query = new URLSearchParams(rawQueryString);
  const queryStringParameters = rawQueryString === '' ? undefined : Object.fromEntries(query.entries());
  const now = new Date();
  // As API Gateway: the route key names the documented path, whose `{name}` parts are parameters.
  const template = templateOf(rawPath) ?? rawPath;
  const routeKey = request.routeKey ?? `${request.method} ${template}`;
  const pathParameters = Object.fromEntries(
    template
      .split('/')
      .map((part, i) => [/^\{(\w+)\}$/.exec(part)?.[1], decodeURIComponent(rawPath.split('/')[i] ?? '')])
      .filter((pair): pair is [string, string] => pair[0] !== undefined),
  );
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    headers,
    ...(Object.keys(pathParameters).length > 0 && routeKey !== '$default' ? { pathParameters } : {}),
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: API_ID,
      domainName: DOMAIN,
      domainPrefix: API_ID,
      http: {
        method: request.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID().replace(/-/g, '').slice(0, 16),
      routeKey,
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
    },
    ...(bodyText === undefined
      ? {}
      : { body: request.base64 ? Buffer.from(bodyText, 'utf8').toString('base64') : bodyText }),
    isBase64Encoded: request.base64 === true,
  };
}

/** `12/Mar/2020:19:03:58 +0000`, the format of `requestContext.time`. */
function apiGatewayTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(
    date.getUTCHours(),
  )}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

export function lambdaContext(functionName = 'send'): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:${ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2025/03/01/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, 29_000 - (Date.now() - started)),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
