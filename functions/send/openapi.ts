/**
 * The send API's OpenAPI 3.1 document, served at `GET /v1/openapi.json`: one operation per route
 * the handler serves (`ROUTE_KEYS`: the compiler refuses a route left out or one too many).
 *
 * The request bodies are the zod schemas that check them (lib/send-api), turned into JSON Schema,
 * so the document cannot drift from what the handler accepts. What zod checks in refinements
 * (lengths in code points, not blank, one of `uin` or `name`) is stated beside each check with
 * `.meta()`, which the JSON Schema carries. The answers' schemas are in openapi-schemas.ts.
 *
 * functions/send/openapi.json is this document written out (`npm run openapi`), for readers and the
 * stack's tests; test/integration/send-api/openapi.test.ts fails when it is out of date.
 */
import { z } from 'zod';
import { ADD_BODY, PATCH_BODY } from '../../lib/send-api/accounts.ts';
import { QQ_NUMBER_PATTERN } from '../../lib/send-api/errors.ts';
import {
  bodySchema,
  IDEMPOTENCY_KEY_PATTERN,
  MAX_BODY_BYTES,
  MAX_NAME_CHARS,
  MAX_TEXT_CHARS,
} from '../../lib/send-api/request.ts';
import type { ROUTE_KEYS } from './app.ts';
import { ANSWER_SCHEMAS, type JsonSchema } from './openapi-schemas.ts';

type RouteKey = (typeof ROUTE_KEYS)[number];
type Security = readonly Readonly<Record<string, readonly string[]>>[];

export interface Operation {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  /** Absent: the document's (the bearer token); `[]`: public. */
  readonly security?: Security;
  readonly parameters?: readonly object[];
  readonly requestBody?: object;
  readonly responses: Readonly<Record<string, object>>;
}

export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: object;
  readonly servers: readonly object[];
  readonly security: Security;
  readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
  readonly components: {
    readonly securitySchemes: Readonly<Record<string, object>>;
    readonly parameters: Readonly<Record<string, object>>;
    readonly responses: Readonly<Record<string, object>>;
    readonly schemas: Readonly<Record<string, JsonSchema>>;
  };
}

/**
 * A request body's zod schema as JSON Schema 2020-12, OpenAPI 3.1's dialect (so without `$schema`).
 * As input: what a client sends, and a transform (ADD_BODY's) has no output JSON Schema can state.
 */
function requestBodySchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...body } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' });
  return body;
}

const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` });
const jsonAnswer = (description: string, schema: object) => ({
  description,
  content: { 'application/json': { schema } },
});
const htmlPage = (description: string) => ({
  description,
  content: { 'text/html': { schema: { type: 'string' } } },
});
const jsonBody = (schemaName: string, description: string) => ({
  required: true,
  description,
  content: { 'application/json': { schema: schemaRef(schemaName) } },
});
const accountInPath = (description: string) => ({
  name: 'account',
  in: 'path',
  required: true,
  description,
  schema: { type: 'string', pattern: QQ_NUMBER_PATTERN.source },
});

const INTERNAL = responseRef('Internal');
const BAD_REQUEST = responseRef('BadRequest');
const UNAUTHORIZED = responseRef('Unauthorized');
const PUBLIC: Security = [];
const TOO_LARGE = jsonAnswer('The body is too large.', schemaRef('PayloadTooLarge'));
const thousands = (n: number) => n.toLocaleString('en-US');

const SEND_BODY = [
  '`type`: the kind of chat.',
  '`to`: the recipient, exactly one of `uin`, a current id (`GET /v1/contacts`), or `name`: a',
  "friend's markname or nick, a group's or discussion's name (case-insensitive; a friend's markname",
  `wins over another friend's nick), at most ${MAX_NAME_CHARS} characters, not only whitespace.`,
  `\`text\`: at most ${thousands(MAX_TEXT_CHARS)} characters (Unicode code points), not only whitespace.`,
  'Face markers `/微笑` or `[微笑]` are sent as faces.',
  "`account`: the bot account's QQ number (5 to 12 digits, not starting with 0): one the deployment",
  'serves. Optional when it serves one; required when it serves several (ACCOUNTS).',
].join(' ');

const ONEBOT_SECURITY: Security = [{ bearer: [] }, { onebotAccessToken: [] }];
const ONEBOT_ACTION = {
  name: 'action',
  in: 'path',
  required: true,
  description:
    'A OneBot v11 action: send_private_msg, send_group_msg, send_discuss_msg, send_msg, get_login_info, ' +
    'get_friend_list, get_group_list, get_group_info, get_group_member_list, get_group_member_info, ' +
    'get_status, get_version_info, can_send_image, can_send_record (also with `_async` or ' +
    '`_rate_limited`); the other standard actions answer `failed` (104).',
  schema: { type: 'string' },
};
const ONEBOT_ACCOUNT = accountInPath(
  'The bot account (QQ number) the action is for: needed when the deployment serves several.',
);
const ONEBOT_TOKEN =
  "The token as `Authorization: Bearer …` or `Token …`, or `?access_token=` (the send API's token).";
const envelope = (description: string) => jsonAnswer(description, schemaRef('OneBotEnvelope'));

/** The four OneBot routes differ by method (a POST takes a body) and by the account in the path. */
function onebotOperation(
  operationId: string,
  summary: string,
  method: 'GET' | 'POST',
  parameters: readonly object[],
): Operation {
  const post = method === 'POST';
  return {
    operationId,
    summary,
    description: post
      ? `Parameters from the query string, a JSON body or a urlencoded form (the body wins). ${ONEBOT_TOKEN}`
      : `Parameters from the query string. ${ONEBOT_TOKEN}`,
    security: ONEBOT_SECURITY,
    parameters,
    ...(post && {
      requestBody: {
        required: false,
        content: {
          'application/json': { schema: { type: 'object' } },
          'application/x-www-form-urlencoded': { schema: { type: 'object' } },
        },
      },
    }),
    responses: {
      200: envelope("The action's envelope (`failed` included)."),
      400: envelope(
        'The body does not parse, or the account is not a QQ number, or is needed (several served) and missing.',
      ),
      401: envelope('No token.'),
      403: envelope('A wrong token.'),
      404: envelope('Not a OneBot action, or an account not served here.'),
      ...(post && { 406: envelope('The body is neither JSON nor a urlencoded form.') }),
      500: INTERNAL,
    },
  };
}

/** Every route the handler serves, in the order the document lists them. */
const ROUTES: Readonly<Record<RouteKey, Operation>> = {
  'POST /v1/messages': {
    operationId: 'sendMessage',
    summary: 'Send a text message',
    description:
      `Checks the body (at most ${thousands(MAX_BODY_BYTES)} bytes; nothing is sent for a bad one), the ` +
      "session state, the recipient and the account's send pacing, then sends. Texts are split into " +
      'several QQ messages of at most 720 UTF-8 bytes; face markers such as `/微笑` or `[微笑]` become ' +
      'faces. An `uncertain` answer (SmartQQ retcode 1202, or no readable answer) may have been ' +
      'delivered and is never resent.',
    parameters: [
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description:
          'Sends at most once per key: a repeated request with the same key and body gets the first ' +
          'answer again (kept 24 hours) without sending; while the first is in progress it gets 409 ' +
          '`in_progress`; the same key with a different body gets 422. A key whose request was refused ' +
          'before anything was sent (4xx, 503) may be used again; a key whose first request failed or ' +
          'died after calling SmartQQ answers `uncertain` and never sends.',
        schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN.source },
      },
    ],
    requestBody: jsonBody('SendRequest', SEND_BODY),
    responses: {
      200: jsonAnswer('Sent, or uncertain (maybe delivered; not resent).', schemaRef('SendResult')),
      400: BAD_REQUEST,
      401: UNAUTHORIZED,
      404: jsonAnswer('No contact of the current login has that name or id.', schemaRef('UnknownRecipient')),
      409: jsonAnswer(
        'The session is not online (a QR scan is needed), a request with this Idempotency-Key is in ' +
          'progress, or several contacts have that name (choose one by its `uin`), or the account is paused.',
        {
          oneOf: [
            schemaRef('SessionOffline'),
            schemaRef('InProgress'),
            schemaRef('AmbiguousRecipient'),
            schemaRef('AccountPaused'),
          ],
        },
      ),
      413: jsonAnswer(
        `The body is larger than ${thousands(MAX_BODY_BYTES)} bytes (UTF-8; counted decoded when API Gateway ` +
          'passes it base64-encoded). It was not read, and nothing was sent. The largest valid body, even ' +
          'with every character escaped as `\\uXXXX`, is about 26,500 bytes.',
        schemaRef('PayloadTooLarge'),
      ),
      422: jsonAnswer('The Idempotency-Key was used before with a different body.', schemaRef('KeyReused')),
      429: {
        ...jsonAnswer(
          'The account sent a message too recently (send pacing). Try again after `Retry-After` seconds.',
          schemaRef('TooManyRequests'),
        ),
        headers: {
          'Retry-After': {
            required: true,
            description: 'Seconds to wait.',
            schema: { type: 'string', pattern: '^[1-9][0-9]*$' },
          },
        },
      },
      500: INTERNAL,
      502: jsonAnswer(
        'SmartQQ answered that the message was not sent: the session cannot send (`session_problem`, ' +
          'the bot relinks or asks for a QR scan) or the message was refused (`rejected`).',
        schemaRef('Upstream'),
      ),
      503: responseRef('ContactsUnavailable'),
    },
  },
  'GET /v1/contacts': {
    operationId: 'listContacts',
    summary: 'The contacts of the current login and their current ids',
    parameters: [{ $ref: '#/components/parameters/Account' }],
    responses: {
      200: jsonAnswer(
        'Friends, groups and discussions, each with the `uin` to send to.',
        schemaRef('Contacts'),
      ),
      400: BAD_REQUEST,
      401: UNAUTHORIZED,
      409: jsonAnswer(
        'The session is not online: ids are only known while it is.',
        schemaRef('SessionOffline'),
      ),
      500: INTERNAL,
      503: responseRef('ContactsUnavailable'),
    },
  },
  'GET /v1/session': {
    operationId: 'getSession',
    summary: "Where the account's SmartQQ session stands",
    parameters: [{ $ref: '#/components/parameters/Account' }],
    responses: {
      200: jsonAnswer('The state and since when; never a cookie or token.', schemaRef('Session')),
      400: BAD_REQUEST,
      401: UNAUTHORIZED,
      500: INTERNAL,
    },
  },
  'GET /v1/session/qr': {
    operationId: 'getSessionQr',
    summary: 'The QR code to scan while the session needs one',
    description:
      "While the session is scan_pending, the PNG of the QR code (base64) to scan with the QQ app of the bot's " +
      'account. Decode it with `jq -r .png | base64 -d > qr.png`. A QR lives about two minutes; the ' +
      'poller fetches a new one after.',
    parameters: [{ $ref: '#/components/parameters/Account' }],
    responses: {
      200: jsonAnswer('The QR code.', schemaRef('Qr')),
      400: BAD_REQUEST,
      401: UNAUTHORIZED,
      404: jsonAnswer(
        'No QR code is waiting to be scanned (the session is online, or the poller has not fetched one yet).',
        schemaRef('NoQr'),
      ),
      500: INTERNAL,
    },
  },
  'GET /v1/accounts': {
    operationId: 'listAccounts',
    summary: 'The accounts this deployment serves',
    description:
      'Those it is configured with (ACCOUNTS) unless removed, and those added through the registry, each ' +
      'active or paused. A change made through another instance of the API shows within 10 s.',
    responses: {
      200: jsonAnswer('The accounts.', schemaRef('AccountList')),
      401: UNAUTHORIZED,
      500: INTERNAL,
    },
  },
  'POST /v1/accounts': {
    operationId: 'addAccount',
    summary: 'Serve another account',
    description:
      'Adds the account to the registry: the next poller tick (within a minute) picks it up and waits for ' +
      'its QR login (`POST /v1/accounts/{account}/login`). Adding an account served already changes ' +
      'nothing (200).',
    requestBody: jsonBody(
      'AccountAdd',
      '`account`: the QQ number to serve (5 to 12 digits, not starting with 0), as a string or a number.',
    ),
    responses: {
      200: jsonAnswer('Served already; unchanged.', schemaRef('Account')),
      201: jsonAnswer('Added.', schemaRef('Account')),
      400: BAD_REQUEST,
      401: UNAUTHORIZED,
      409: jsonAnswer(
        'The deployment serves as many accounts as it can (2,000).',
        schemaRef('AccountProblem'),
      ),
      413: TOO_LARGE,
      500: INTERNAL,
    },
  },
  'PATCH /v1/accounts/{account}': {
    operationId: 'changeAccount',
    summary: 'Pause or resume an account',
    description:
      'Paused: its poller lets it go within a poll cycle and the API refuses to send for it; what was ' +
      'received before is still answered. Pausing a paused account (or resuming an active one) changes ' +
      'nothing.',
    parameters: [accountInPath("A served account's QQ number.")],
    requestBody: jsonBody(
      'AccountPatch',
      '`status`: `paused` stops polling it (within a poll cycle) and sending for it; `active` resumes.',
    ),
    responses: {
      200: jsonAnswer('The account after the change.', schemaRef('Account')),
      400: BAD_REQUEST,
      401: UNAUTHORIZED,
      404: responseRef('UnknownAccount'),
      413: TOO_LARGE,
      500: INTERNAL,
    },
  },
  'DELETE /v1/accounts/{account}': {
    operationId: 'removeAccount',
    summary: 'Stop serving an account',
    description:
      'It is no longer polled, listed or sent for. Its session, rules and member lists are kept: adding it ' +
      'again picks them up. A configured account stays removed through redeploys until it is added again.',
    parameters: [accountInPath("A served account's QQ number.")],
    responses: {
      200: jsonAnswer('Removed.', schemaRef('AccountRemoved')),
      400: BAD_REQUEST,
      401: UNAUTHORIZED,
      404: responseRef('UnknownAccount'),
      500: INTERNAL,
    },
  },
  'POST /v1/accounts/{account}/login': {
    operationId: 'createLoginLink',
    summary: 'A short-lived link to the login page, to open on a phone',
    description:
      'Answers a signed link (valid 15 minutes, no API token in it) to a small page that shows the ' +
      "account's QR code and the login's state (waiting, scanned, expired → a new QR, online, refused " +
      'because another account scanned it) and refreshes itself. Open it on the phone; scan the QR with ' +
      "the QQ app of the bot's account (from another device: a phone cannot scan its own screen, open the " +
      'link on a second screen or share it). Rotating the API token ends every link given out.',
    parameters: [accountInPath("A served account's QQ number (another is 400).")],
    responses: {
      200: jsonAnswer('The link.', schemaRef('LoginLink')),
      400: BAD_REQUEST,
      401: UNAUTHORIZED,
      409: responseRef('AccountPaused'),
      500: INTERNAL,
    },
  },
  'GET /login/{token}': {
    operationId: 'getLoginPage',
    summary: 'The login page (public: the signed link is its credential)',
    description:
      "An HTML page for a phone browser: the QR code and the login's state, refreshed every 2 s from " +
      '`/login/{token}/state`. Sent with a Content-Security-Policy that loads nothing from elsewhere and ' +
      '`Referrer-Policy: no-referrer`. An expired or invalid link still gets the page (status 410 or 404), ' +
      'which says so.',
    security: PUBLIC,
    parameters: [{ $ref: '#/components/parameters/LoginToken' }],
    responses: {
      200: htmlPage('The page.'),
      404: htmlPage('The page, for a link that is not valid.'),
      410: htmlPage('The page, for a link that has expired.'),
      500: INTERNAL,
    },
  },
  'GET /login/{token}/state': {
    operationId: 'getLoginState',
    summary: 'What the login page shows (public: the signed link is its credential)',
    security: PUBLIC,
    parameters: [{ $ref: '#/components/parameters/LoginToken' }],
    responses: {
      200: jsonAnswer("The login's state.", schemaRef('LoginState')),
      404: jsonAnswer('The link is not valid.', schemaRef('LinkProblem')),
      410: jsonAnswer('The link has expired: ask for a new one.', schemaRef('LinkProblem')),
      500: INTERNAL,
    },
  },
  'GET /v1/openapi.json': {
    operationId: 'getOpenApi',
    summary: 'This document (public: no token needed)',
    security: PUBLIC,
    responses: {
      200: jsonAnswer('The OpenAPI document.', { type: 'object', required: ['openapi', 'paths'] }),
      500: INTERNAL,
    },
  },
  'GET /onebot/v11/{action}': onebotOperation(
    'onebotAction',
    'A OneBot v11 action (one account served)',
    'GET',
    [ONEBOT_ACTION],
  ),
  'POST /onebot/v11/{action}': onebotOperation(
    'onebotActionPost',
    'A OneBot v11 action (one account served)',
    'POST',
    [ONEBOT_ACTION],
  ),
  'GET /onebot/v11/{account}/{action}': onebotOperation(
    'onebotAccountAction',
    'A OneBot v11 action for one of several accounts',
    'GET',
    [ONEBOT_ACCOUNT, ONEBOT_ACTION],
  ),
  'POST /onebot/v11/{account}/{action}': onebotOperation(
    'onebotAccountActionPost',
    'A OneBot v11 action for one of several accounts',
    'POST',
    [ONEBOT_ACCOUNT, ONEBOT_ACTION],
  ),
};

/** The route table as OpenAPI `paths`: `{ '/v1/accounts': { get, post } }`. */
function pathsOf(routes: Readonly<Record<string, Operation>>): Record<string, Record<string, Operation>> {
  const paths: Record<string, Record<string, Operation>> = {};
  for (const [route, operation] of Object.entries(routes)) {
    const [method = '', path = ''] = route.split(' ');
    paths[path] = { ...paths[path], [method.toLowerCase()]: operation };
  }
  return paths;
}

/**
 * The document, built at its first use and kept: the send function needs it only for
 * `GET /v1/openapi.json`, so its cold start does not build it (nor turn the zod schemas into JSON
 * Schema) for every other route.
 */
export function openApiDocument(): OpenApiDocument {
  built ??= buildDocument();
  return built;
}

let built: OpenApiDocument | undefined;

function buildDocument(): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: {
      title: 'QQ send gateway',
      version: '1.0.0',
      description:
        "Send QQ messages (SmartQQ) from the bot account to a friend, a group or a discussion, and see the account's " +
        'session and contacts. Every answer is JSON. Every route but this document needs `Authorization: ' +
        'Bearer <token>`. Contact ids (`uin`) change on every login of the account: name a recipient, or take ' +
        'its current id from `GET /v1/contacts`.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths: pathsOf(ROUTES),
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: "The deployment's API token." },
        onebotAccessToken: {
          type: 'apiKey',
          in: 'query',
          name: 'access_token',
          description: "OneBot's other way to give the token (also `Authorization: Token …`).",
        },
      },
      parameters: {
        Account: {
          name: 'account',
          in: 'query',
          required: false,
          description:
            "The bot account's QQ number: one the deployment serves (ACCOUNTS). Optional when it serves one; " +
            'required when it serves several (400 without it).',
          schema: { type: 'string', pattern: QQ_NUMBER_PATTERN.source },
        },
        LoginToken: {
          name: 'token',
          in: 'path',
          required: true,
          description: 'The signed link token from `POST /v1/accounts/{account}/login`.',
          schema: { type: 'string' },
        },
      },
      responses: {
        BadRequest: jsonAnswer(
          'The request is malformed (the field and the reason are given) or names an unknown account. Nothing ' +
            'was sent.',
          schemaRef('BadRequest'),
        ),
        Unauthorized: {
          ...jsonAnswer('No valid bearer token.', schemaRef('Unauthorized')),
          headers: { 'WWW-Authenticate': { required: true, schema: { type: 'string', const: 'Bearer' } } },
        },
        Internal: jsonAnswer(
          "An unexpected error (details are in the function's log, never in the answer).",
          schemaRef('Internal'),
        ),
        ContactsUnavailable: jsonAnswer(
          'The session is online but the contacts of its current login are not loaded yet (ids change on ' +
            'every login). Try again shortly.',
          schemaRef('ContactsUnavailable'),
        ),
        AccountPaused: jsonAnswer(
          'The account is paused: resume it first (`PATCH /v1/accounts/{account}` with `{"status":"active"}`).',
          schemaRef('AccountPaused'),
        ),
        UnknownAccount: jsonAnswer(
          'This deployment does not serve that account.',
          schemaRef('AccountProblem'),
        ),
      },
      schemas: {
        ...ANSWER_SCHEMAS,
        SendRequest: requestBodySchema(bodySchema),
        AccountAdd: requestBodySchema(ADD_BODY),
        AccountPatch: requestBodySchema(PATCH_BODY),
      },
    },
  };
}
