/**
 * An API Gateway HTTP API with a Lambda proxy integration (payload format 2.0), in process: each
 * request on 127.0.0.1 becomes an `APIGatewayProxyEventV2`, and the function's result becomes the
 * HTTP answer, by API Gateway's rules.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID } from './emulators.ts';
import { invoke, type LambdaFunction, type LambdaHandler, type RuntimeLog } from './lambda-context.ts';

/** HTTP API's payload limit (API Gateway quotas: 10 MB). */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** HTTP API's maximum integration timeout (30 s): a slower function gets the client a 503. */
export const INTEGRATION_TIMEOUT_MS = 30_000;

export interface HttpApiOptions {
  readonly handler: LambdaHandler<APIGatewayProxyEventV2, unknown>;
  readonly function: LambdaFunction;
  /**
   * Route keys, as in the stack: `POST /messages`, `GET /items/{id}`, `ANY /files/{path+}`,
   * `$default`. Default: `$default` only. A request no route matches gets API Gateway's 404.
   */
  readonly routes?: readonly string[];
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly apiId?: string;
  readonly log?: RuntimeLog;
}

export interface HttpApi {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

interface Route {
  readonly key: string;
  readonly method: string;
  readonly segments: readonly string[];
  readonly greedy: boolean;
  readonly literals: number;
}

interface Matched {
  readonly routeKey: string;
  readonly pathParameters?: Record<string, string>;
}

export async function startHttpApi(options: HttpApiOptions): Promise<HttpApi> {
  const log = options.log ?? (() => {});
  const routes = (options.routes ?? ['$default']).map(parseRouteKey);
  const apiId = options.apiId ?? 'local';
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`http api: ${(err as Error).message}`);
      if (!res.headersSent) answer(res, 500, { message: 'Internal Server Error' });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = `${randomBytes(10).toString('base64').slice(0, 14)}=`;
    res.setHeader('apigw-requestid', requestId);
    const body = await readBody(req);
    if (body === 'too_large') return answer(res, 413, { message: 'Request Entity Too Large' });
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = matchRoute(routes, req.method ?? 'GET', url.pathname);
    if (!match) return answer(res, 404, { message: 'Not Found' });
    const event = toEvent(req, body, { ...match, requestId, apiId });
    const invocation = await Promise.race([
      invoke(options.handler, event, options.function, log),
      delay(INTEGRATION_TIMEOUT_MS).then(() => 'integration_timeout' as const),
    ]);
    if (invocation === 'integration_timeout') return answer(res, 503, { message: 'Service Unavailable' });
    if (invocation.outcome !== 'success') return answer(res, 500, { message: 'Internal Server Error' });
    writeResult(res, invocation.result, log);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** `METHOD /path/{param}/{rest+}` or `$default`. */
export function parseRouteKey(key: string): Route {
  if (key === '$default') return { key, method: '*', segments: [], greedy: true, literals: -1 };
  const found = /^(ANY|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (\/\S*)$/.exec(key);
  if (!found) throw new Error(`bad route key ${JSON.stringify(key)}: expected "METHOD /path" or "$default"`);
  const segments = (found[2] ?? '/').split('/').slice(1);
  const greedy = segments.at(-1)?.endsWith('+}') ?? false;
  return {
    key,
    method: found[1] ?? 'ANY',
    segments,
    greedy,
    literals: segments.filter((s) => !s.startsWith('{')).length,
  };
}

/**
 * The most specific route wins, as in API Gateway: a route without a greedy variable before one with
 * it, more literal segments first, a method before ANY; `$default` last.
 */
export function matchRoute(routes: readonly Route[], method: string, rawPath: string): Matched | undefined {
  const path = rawPath.split('/').slice(1);
  const candidates: { route: Route; params: Record<string, string> }[] = [];
  for (const route of routes) {
    if (route.key === '$default') {
      candidates.push({ route, params: {} });
      continue;
    }
    if (route.method !== 'ANY' && route.method !== method) continue;
    const params = matchPath(route, path);
    if (params) candidates.push({ route, params });
  }
  candidates.sort(
    (a, b) =>
      Number(a.route.key === '$default') - Number(b.route.key === '$default') ||
      Number(a.route.greedy) - Number(b.route.greedy) ||
      b.route.literals - a.route.literals ||
      Number(a.route.method === 'ANY') - Number(b.route.method === 'ANY'),
  );
  const best = candidates[0];
  if (!best) return undefined;
  return Object.keys(best.params).length > 0
    ? { routeKey: best.route.key, pathParameters: best.params }
    : { routeKey: best.route.key };
}

function matchPath(route: Route, path: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (const [i, segment] of route.segments.entries()) {
    const variable = /^\{([^}+]+)(\+?)\}$/.exec(segment);
    if (variable?.[2] === '+') {
      const rest = path.slice(i);
      if (rest.length === 0 || rest.join('/') === '') return undefined;
      params[variable[1] ?? ''] = safeDecode(rest.join('/'));
      return params;
    }
    const actual = path[i];
    if (actual === undefined) return undefined;
    if (variable) {
      if (actual === '') return undefined;
      params[variable[1] ?? ''] = safeDecode(actual);
    } else if (segment !== actual) {
      return undefined;
    }
  }
  return path.length === route.segments.length ? params : undefined;
}

/** Reads the whole body; past the limit the rest is drained (not kept) so the 413 can be answered. */
async function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_REQUEST_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_REQUEST_BYTES ? 'too_large' : Buffer.concat(chunks);
}

/**
 * Text-like bodies are passed as text; any other (binary, form posts, no content type) base64 with
 * `isBase64Encoded`, so the function must honour the flag as it must behind API Gateway.
 */
function isTextContent(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return (
    type.startsWith('text/') ||
    /^application\/([\w.+-]+\+)?(json|xml)$/.test(type) ||
    type === 'application/javascript'
  );
}

function toEvent(
  req: IncomingMessage,
  body: Buffer,
  ids: Matched & { readonly requestId: string; readonly apiId: string },
): APIGatewayProxyEventV2 {
  const rawUrl = req.url ?? '/';
  const queryAt = rawUrl.indexOf('?');
  const rawPath = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
  const rawQueryString = queryAt < 0 ? '' : rawUrl.slice(queryAt + 1);
  const headers: Record<string, string> = {};
  let cookies: string[] = [];
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (!values) continue;
    // Payload 2.0: cookies go to `cookies`, one entry each; other repeated headers are comma-joined.
    if (name === 'cookie') cookies = values.flatMap((v) => v.split(';').map((c) => c.trim())).filter(Boolean);
    else headers[name] = values.join(',');
  }
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  const hostHeader = headers.host ?? '127.0.0.1';
  headers['x-forwarded-for'] = headers['x-forwarded-for']
    ? `${headers['x-forwarded-for']}, ${sourceIp}`
    : sourceIp;
  headers['x-forwarded-port'] = String(req.socket.localPort ?? '');
  headers['x-forwarded-proto'] = 'http';
  const query = new URLSearchParams(rawQueryString);
  const queryStringParameters: Record<string, string> = {};
  for (const key of new Set(query.keys())) queryStringParameters[key] = query.getAll(key).join(',');
  const domainName = hostHeader.replace(/:\d+$/, '');
  const now = new Date();
  const text = isTextContent(headers['content-type']);
  return {
    version: '2.0',
    routeKey: ids.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(queryStringParameters).length > 0 ? { queryStringParameters } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: ids.apiId,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: req.method ?? 'GET',
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: ids.requestId,
      routeKey: ids.routeKey,
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
    ...(ids.pathParameters ? { pathParameters: ids.pathParameters } : {}),
    isBase64Encoded: body.length > 0 && !text,
  };
}

/**
 * API Gateway's reading of a payload 2.0 response: an object with `statusCode` is taken field by
 * field (`cookies` become Set-Cookie headers); anything else is a 200 JSON answer whose body is the
 * result (a string as is, any other value as JSON). A malformed response is a 500.
 */
function writeResult(res: ServerResponse, result: unknown, log: RuntimeLog): void {
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) {
    const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
    return;
  }
  const r = result as {
    statusCode: unknown;
    headers?: unknown;
    cookies?: unknown;
    body?: unknown;
    isBase64Encoded?: unknown;
  };
  const problem = malformed(r);
  if (problem) {
    log(`http api: malformed Lambda response: ${problem}`);
    answer(res, 500, { message: 'Internal Server Error' });
    return;
  }
  const headers = Object.entries((r.headers ?? {}) as Record<string, string | number | boolean>).map(
    ([name, value]) => [name, String(value)] as const,
  );
  const cookies = (r.cookies ?? []) as string[];
  res.statusCode = r.statusCode as number;
  for (const [name, value] of headers) res.setHeader(name, value);
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  const body = typeof r.body === 'string' ? r.body : '';
  res.end(r.isBase64Encoded === true ? Buffer.from(body, 'base64') : body);
}

function malformed(r: {
  statusCode: unknown;
  headers?: unknown;
  cookies?: unknown;
  body?: unknown;
}): string | undefined {
  if (
    typeof r.statusCode !== 'number' ||
    !Number.isInteger(r.statusCode) ||
    r.statusCode < 100 ||
    r.statusCode > 599
  ) {
    return `statusCode ${JSON.stringify(r.statusCode)}`;
  }
  if (r.headers !== undefined && (typeof r.headers !== 'object' || r.headers === null))
    return 'headers is not an object';
  if (
    r.cookies !== undefined &&
    !(Array.isArray(r.cookies) && r.cookies.every((c) => typeof c === 'string'))
  ) {
    return 'cookies is not a list of strings';
  }
  if (r.body !== undefined && r.body !== null && typeof r.body !== 'string') return 'body is not a string';
  return undefined;
}

function answer(res: ServerResponse, status: number, json: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(json));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, API Gateway's `requestContext.time`. */
function apiGatewayTime(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(at.getUTCDate())}/${MONTHS[at.getUTCMonth()]}/${at.getUTCFullYear()}:` +
    `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())} +0000`
  );
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
