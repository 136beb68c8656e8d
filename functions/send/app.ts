/**
 * The send function behind API Gateway (HTTP API, payload 2.0): `POST /v1/messages`,
 * `GET /v1/contacts`, `GET /v1/session`, `POST /v1/accounts/{account}/login` (a signed link to the
 * login page), the login page itself (`GET /login/{token}`, public: the link is its credential)
 * and the public `GET /v1/openapi.json`.
 *
 * Wiring only: turn the event into a call of `lib/send-api`, the outcome into a JSON answer. Domain
 * errors become statuses in one middleware (`error-middleware.ts`). The Lambda entry, configured at
 * cold start, is `handler.ts`; tests and the stack take the API and its routes from here.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import httpRouterHandler, { type Method } from '@middy/http-router';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { ActionDeps } from '../../lib/onebot/actions.ts';
import type { ServedAccount } from '../../lib/pipeline/accounts.ts';
import type {
  IdempotencyStore,
  MemberLists,
  SendPace,
  SendPacing,
  SessionStore,
} from '../../lib/pipeline/ports.ts';
import {
  parseAddAccount,
  parsePatchAccount,
  type RegistryStore,
  ServedAccounts,
} from '../../lib/send-api/accounts.ts';
import { checkBearer } from '../../lib/send-api/auth.ts';
import {
  LoginLinkError,
  loginLinkKey,
  signLoginLink,
  verifyLoginLink,
} from '../../lib/send-api/login-link.ts';
import { LOGIN_PAGE_HEADERS, LOGIN_PAGE_HTML, loginStateView } from '../../lib/send-api/login-page.ts';
import { parseIdempotencyKey, parseSendRequest, readBody } from '../../lib/send-api/request.ts';
import { answerFor, type SendOutcome, sendMessage } from '../../lib/send-api/send-message.ts';
import type { MessageSender } from '../../lib/send-api/sender.ts';
import { accountView, contactsView, isoTime, qrView, sessionView } from '../../lib/send-api/views.ts';
import type { SendResult } from '../../lib/smartqq/send.ts';
import type { TokenSource } from './api-token.ts';
import { jsonErrors } from './error-middleware.ts';
import { serveOneBot } from './onebot.ts';
import { openApiDocument } from './openapi.ts';
import { type HttpResult, header, json, RouteNotFoundError } from './responses.ts';

export interface SendApiDeps {
  /** The deployment's account (ACCOUNT): its logs and metrics carry it. */
  readonly account: string;
  /**
   * The accounts the deployment is configured with (ACCOUNTS; default `account` alone). The API
   * serves them and those the registry adds (lib/pipeline/accounts.ts). With one served, requests may
   * leave `account` out; with several, they must name it.
   */
  readonly accounts?: readonly string[];
  /** The account registry (lib/stores/account-registry.ts). */
  readonly registry: RegistryStore;
  /** What OneBot actions read beyond the session: member lists and stable ids (`lib/onebot`). */
  readonly memberLists: Pick<MemberLists, 'get'>;
  readonly onebotIds: ActionDeps['ids'];
  readonly sessions: SessionStore;
  readonly pacing: SendPacing;
  readonly idempotency: IdempotencyStore;
  /** How messages reach SmartQQ: `smartQQSender(...)`, or a stub in unit tests. */
  readonly sender: MessageSender;
  /** The account's send pace, shared with the replies (an interval of 0 turns it off). */
  readonly sendPace: SendPace;
  /** The bearer token (fetched once and kept by `apiTokenSource`). */
  readonly apiToken: TokenSource;
  /** Every line gets the account. */
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now?: () => number;
}

export type SendApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResult>;

type Route = (event: APIGatewayProxyEventV2) => Promise<HttpResult>;

/** The routes served, as API Gateway names them (the OpenAPI document lists the same). */
export const ROUTE_KEYS = [
  'POST /v1/messages',
  'GET /v1/contacts',
  'GET /v1/session',
  'GET /v1/session/qr',
  'POST /v1/accounts/{account}/login',
  'GET /login/{token}',
  'GET /login/{token}/state',
  'GET /v1/accounts',
  'POST /v1/accounts',
  'PATCH /v1/accounts/{account}',
  'DELETE /v1/accounts/{account}',
  'GET /v1/openapi.json',
  'GET /onebot/v11/{action}',
  'POST /onebot/v11/{action}',
  'GET /onebot/v11/{account}/{action}',
  'POST /onebot/v11/{account}/{action}',
] as const;

export function createHandler(deps: SendApiDeps): SendApiHandler {
  const { account, logger } = deps;
  const now = deps.now ?? Date.now;
  const served = new ServedAccounts(deps.accounts ?? [account], deps.registry, now);
  const flow = {
    sessions: deps.sessions,
    pacing: deps.pacing,
    idempotency: deps.idempotency,
    sender: deps.sender,
    sendPace: deps.sendPace,
    now: deps.now ?? Date.now,
  };

  const authenticated =
    (route: Route): Route =>
    async (event) => {
      checkBearer(header(event, 'authorization'), await deps.apiToken());
      return route(event);
    };

  const linkKey = async () => loginLinkKey(await deps.apiToken());
  /** The link in the path, checked: the account it opens, or the answer saying why not. */
  const openLink = async (event: APIGatewayProxyEventV2) => {
    try {
      return verifyLoginLink(event.pathParameters?.token ?? '', now(), await linkKey());
    } catch (err) {
      if (!(err instanceof LoginLinkError)) throw err;
      const status = err.problem === 'expired' ? 410 : 404;
      return json(status, { error: `link_${err.problem}`, message: err.message });
    }
  };

  /** OneBot v11 (functions/send/onebot.ts): its own token check and envelope. */
  const onebot: Route = (event) =>
    serveOneBot(event, {
      token: deps.apiToken,
      account: accountFor,
      actionDeps: (which) => ({
        account: which,
        session: () => deps.sessions.get(which),
        memberLists: deps.memberLists,
        ids: deps.onebotIds,
        send: (request) => sendMessage(flow, request),
      }),
    });

  const routes: Readonly<Record<(typeof ROUTE_KEYS)[number], Route>> = {
    'GET /onebot/v11/{action}': onebot,
    'POST /onebot/v11/{action}': onebot,
    'GET /onebot/v11/{account}/{action}': onebot,
    'POST /onebot/v11/{account}/{action}': onebot,
    // Public on purpose: the document describes the API and holds no secret; clients fetch it
    // before they have a token.
    'GET /v1/openapi.json': async () => json(200, openApiDocument()),
    'GET /v1/session': authenticated(async (event) => {
      const which = await accountFor(event.queryStringParameters?.account, false);
      return json(200, sessionView(await deps.sessions.get(which), which));
    }),
    // The QR to scan while the session waits for one: behind the token like everything else.
    'GET /v1/session/qr': authenticated(async (event) => {
      const which = await accountFor(event.queryStringParameters?.account, false);
      const qr = qrView(await deps.sessions.get(which), which);
      return qr
        ? json(200, qr)
        : json(404, { error: 'no_qr', message: 'no QR code is waiting to be scanned' });
    }),
    // A link for a phone: the page it opens shows this account's QR and login state, nothing else.
    // Paused: refused, as nobody would poll the QR it shows.
    'POST /v1/accounts/{account}/login': authenticated(async (event) => {
      const which = await accountFor(event.pathParameters?.account ?? '', true);
      const link = signLoginLink(which, now(), await linkKey());
      return json(200, {
        account: which,
        url: `${publicBaseUrl(event)}/login/${link.token}`,
        expiresAt: isoTime(link.expiresAt),
        state: sessionView(await deps.sessions.get(which), which).state,
      });
    }),
    // Public: the signed link is the credential. An unusable link still gets the page, which says why.
    'GET /login/{token}': async (event) => {
      const link = await openLink(event);
      const status = 'token' in link ? 200 : link.statusCode;
      return { statusCode: status, headers: { ...LOGIN_PAGE_HEADERS }, body: LOGIN_PAGE_HTML };
    },
    'GET /login/{token}/state': async (event) => {
      const link = await openLink(event);
      if (!('token' in link)) return link;
      const record = await deps.sessions.get(link.account);
      return json(200, loginStateView(record, link.account, now(), link.expiresAt), {
        'referrer-policy': 'no-referrer',
      });
    },
    'GET /v1/accounts': authenticated(async () =>
      json(200, { accounts: (await served.list()).map(accountView) }),
    ),
    'POST /v1/accounts': authenticated(async (event) => {
      const requested = parseAddAccount(readBody(event.body, event.isBase64Encoded === true));
      const before = (await served.numbers()).includes(requested);
      const added = await served.change('add', requested);
      logger.info('account added', { changedAccount: requested, already: before });
      return json(before ? 200 : 201, accountView(added as ServedAccount));
    }),
    'PATCH /v1/accounts/{account}': authenticated(async (event) => {
      const patch = parsePatchAccount(readBody(event.body, event.isBase64Encoded === true));
      const which = event.pathParameters?.account ?? '';
      let changed: ServedAccount | undefined;
      if (patch.action) {
        changed = await served.change(patch.action, which);
        logger.info(`account ${patch.action === 'pause' ? 'paused' : 'resumed'}`, { changedAccount: which });
      }
      if (patch.onebot !== undefined) {
        changed = await served.setOneBot(which, patch.onebot ?? undefined);
        // The URL may hold a token of the bot's: only whether one is set is logged.
        logger.info('account OneBot bot set', { changedAccount: which, onebot: patch.onebot !== null });
      }
      return json(200, accountView(changed as ServedAccount));
    }),
    'DELETE /v1/accounts/{account}': authenticated(async (event) => {
      const which = event.pathParameters?.account ?? '';
      await served.change('remove', which);
      logger.info('account removed', { changedAccount: which });
      return json(200, { account: which, status: 'removed' });
    }),
    'GET /v1/contacts': authenticated(async (event) => {
      const which = await accountFor(event.queryStringParameters?.account, false);
      return json(200, contactsView(await deps.sessions.get(which), which));
    }),
    'POST /v1/messages': authenticated(async (event) => {
      // The size first (413 past MAX_BODY_BYTES), then the JSON.
      const request = parseSendRequest(
        readBody(event.body, event.isBase64Encoded === true),
        await served.numbers(),
      );
      await accountFor(request.account, true);
      const key = parseIdempotencyKey(header(event, 'idempotency-key'));
      const report = await sendMessage(flow, request, key);
      if (!report.replayed) countSend(report.outcome, request.account);
      logger.info('message handled', {
        type: request.type,
        recipient: report.recipient,
        outcome: report.outcome,
        replayed: report.replayed,
        ...(report.upstream && report.upstream.status !== 'sent'
          ? { upstream: upstreamDetail(report.upstream) }
          : {}),
      });
      if (report.notRecorded !== undefined) {
        logger.warn('the answer could not be kept for the Idempotency-Key', report.notRecorded);
      }
      return json(200, answerFor(report.outcome));
    }),
  };

  /**
   * The account a request is about, checked (paused or not for reading; not paused for sending); its
   * log lines carry it.
   */
  const accountFor = async (requested: string | undefined, sending: boolean) => {
    const which = sending ? await served.forSending(requested) : (await served.forReading(requested)).account;
    logger.appendKeys({ account: which });
    return which;
  };

  /** Sends by result: sent, uncertain, session_problem, rejected (replays are not sends). */
  const countSend = (outcome: SendOutcome, sentFor: string) => {
    const metric = deps.metrics.singleMetric();
    metric.addDimension('result', outcome.status === 'failed' ? outcome.result : outcome.status);
    metric.addDimension('account', sentFor);
    metric.addMetric('Sends', MetricUnit.Count, 1);
  };

  // Routed by method and path (@middy/http-router): API Gateway's route keys and a `$default`
  // catch-all (the local runtime) alike; each route's line names its key.
  const router = httpRouterHandler<APIGatewayProxyEventV2, HttpResult>({
    routes: ROUTE_KEYS.map((key) => {
      const [method, path] = key.split(' ') as [Method, string];
      const route = routes[key];
      return {
        method,
        path,
        handler: (event: APIGatewayProxyEventV2) => {
          logger.appendKeys({ route: key });
          return route(event);
        },
      };
    }),
    notFoundResponse: () => {
      throw new RouteNotFoundError();
    },
  });
  return middy<APIGatewayProxyEventV2, HttpResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      before: (request) => {
        logger.appendKeys({ apiRequestId: request.event.requestContext.requestId });
      },
    })
    .use(jsonErrors(logger))
    .handler((event, context) => router(event, context));
}

/** Why SmartQQ did not surely send it, for the log: retcode and verdict, or reason (never a secret). */
function upstreamDetail(result: Exclude<SendResult, { status: 'sent' }>): string {
  return result.status === 'session_problem'
    ? `retcode ${result.retcode} (${result.verdict})`
    : result.reason;
}

/** Where the caller reached this API: the login link points there. */
function publicBaseUrl(event: APIGatewayProxyEventV2): string {
  const host = header(event, 'host') ?? event.requestContext.domainName;
  const proto = header(event, 'x-forwarded-proto') ?? 'https';
  return `${proto}://${host}`;
}
