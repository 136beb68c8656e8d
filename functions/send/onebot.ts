/**
 * OneBot v11 actions over HTTP (`/onebot/v11/{action}`, or `/onebot/v11/{account}/{action}` when
 * the deployment serves several accounts): the request as OneBot implementations take it, the
 * action itself in `lib/onebot/actions.ts`.
 *
 * - GET or POST; parameters from the query string, a urlencoded form or a JSON body (the body wins);
 * - the token as `Authorization: Bearer …` or `Token …`, or `?access_token=`: 401 without one, 403
 *   with a wrong one;
 * - 404 for an action that is not OneBot's, 406 for a body that is neither JSON nor a form, 400 for
 *   one that does not parse; everything else 200 with the envelope `{status, retcode, data, message,
 *   wording, echo?}` — a standard action SmartQQ cannot do is `failed`, never a 5xx.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type ActionDeps, isAction, runAction } from '../../lib/onebot/actions.ts';
import { sameSecret } from '../../lib/send-api/auth.ts';
import { AccountPausedError, InvalidRequestError, UnknownAccountError } from '../../lib/send-api/errors.ts';
import { readBody } from '../../lib/send-api/request.ts';
import { type HttpResult, header, json } from './responses.ts';

export interface OneBotHttpDeps {
  readonly token: () => Promise<string>;
  /** The account the path names (or the only one served), checked; sends refuse a paused one. */
  readonly account: (requested: string | undefined, sending: boolean) => Promise<string>;
  readonly actionDeps: (account: string) => ActionDeps;
}

const SENDS = /^send_(private_|group_|discuss_)?msg(_async|_rate_limited)?$/;

export async function serveOneBot(event: APIGatewayProxyEventV2, deps: OneBotHttpDeps): Promise<HttpResult> {
  const given = tokenOf(event);
  if (given === undefined) return json(401, failed(1401, 'an access token is required'));
  if (!sameSecret(given, await deps.token())) return json(403, failed(1403, 'the access token is wrong'));

  const action = event.pathParameters?.action ?? '';
  let params: Record<string, unknown>;
  try {
    params = paramsOf(event);
  } catch (err) {
    if (err instanceof UnsupportedMediaError) return json(406, failed(1406, err.message));
    if (err instanceof InvalidRequestError) return json(400, failed(1400, err.message));
    throw err;
  }
  const echo = params.echo;
  if (!isAction(action)) {
    return json(404, {
      ...failed(1404, `unknown action ${JSON.stringify(action.slice(0, 64))}`),
      ...echoOf(echo),
    });
  }
  let account: string;
  try {
    account = await deps.account(event.pathParameters?.account, SENDS.test(action));
  } catch (err) {
    if (err instanceof UnknownAccountError)
      return json(404, { ...failed(1404, err.message), ...echoOf(echo) });
    if (err instanceof InvalidRequestError) {
      const hint = err.reason.startsWith('required') ? ': use /onebot/v11/{account}/{action}' : '';
      return json(400, { ...failed(100, `${err.message}${hint}`), ...echoOf(echo) });
    }
    if (err instanceof AccountPausedError) return json(200, { ...failed(103, err.message), ...echoOf(echo) });
    throw err;
  }
  const result = await runAction(action, params, deps.actionDeps(account));
  return json(200, {
    status: result.status,
    retcode: result.retcode,
    data: result.data,
    message: result.message ?? '',
    wording: result.message ?? '',
    ...echoOf(echo),
  });
}

class UnsupportedMediaError extends Error {}

function paramsOf(event: APIGatewayProxyEventV2): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  for (const [name, value] of new URLSearchParams(event.rawQueryString ?? '')) {
    if (name !== 'access_token') query[name] = value;
  }
  const method = event.requestContext.http.method;
  const body = readBody(event.body, event.isBase64Encoded === true);
  if (method !== 'POST' || body === undefined || body.trim() === '') return query;
  const type = (header(event, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/json' || type === '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new InvalidRequestError('body', 'not valid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new InvalidRequestError('body', 'expected a JSON object of parameters');
    }
    return { ...query, ...(parsed as Record<string, unknown>) };
  }
  if (type === 'application/x-www-form-urlencoded') {
    return { ...query, ...Object.fromEntries(new URLSearchParams(body)) };
  }
  throw new UnsupportedMediaError(
    `content-type ${JSON.stringify(type.slice(0, 64))}: send JSON or a urlencoded form`,
  );
}

function tokenOf(event: APIGatewayProxyEventV2): string | undefined {
  const authorization = header(event, 'authorization');
  const fromHeader = /^(?:bearer|token) +(\S+) *$/i.exec(authorization ?? '')?.[1];
  if (fromHeader !== undefined) return fromHeader;
  return new URLSearchParams(event.rawQueryString ?? '').get('access_token') ?? undefined;
}

function failed(retcode: number, message: string) {
  return { status: 'failed', retcode, data: null, message, wording: message };
}

function echoOf(echo: unknown) {
  return echo === undefined ? {} : { echo };
}
