/**
 * The JSON Schemas (2020-12, OpenAPI 3.1's dialect) of the send API's answers: the
 * `components.schemas` of its OpenAPI document (openapi.ts) but for the request bodies, which come
 * from the zod schemas that check them.
 */

export type JsonSchema = { readonly [keyword: string]: unknown };

export const ANSWER_SCHEMAS = {
  Uin: {
    type: 'integer',
    minimum: 1,
    maximum: 9007199254740991,
    description: "A current id: a friend's uin, a group's gid or a discussion's did. Changes on every login.",
  },
  Timestamp: { type: 'string', format: 'date-time' },
  SessionState: { type: 'string', enum: ['needs_qr', 'scan_pending', 'online', 'relinking'] },
  SendResult: {
    oneOf: [
      {
        type: 'object',
        additionalProperties: false,
        required: ['status', 'parts'],
        properties: {
          status: { const: 'sent' },
          parts: { type: 'integer', minimum: 1, description: 'How many QQ messages the text took.' },
        },
      },
      {
        type: 'object',
        additionalProperties: false,
        required: ['status', 'partsSent', 'parts'],
        properties: {
          status: { const: 'uncertain' },
          retcode: { type: 'integer', description: '1202; absent when there was no readable answer.' },
          partsSent: {
            type: 'integer',
            minimum: 0,
            description: 'Parts surely sent before the uncertain one.',
          },
          parts: { type: 'integer', minimum: 1 },
        },
      },
    ],
  },
  BadRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['error', 'field', 'reason', 'message'],
    properties: {
      error: { const: 'bad_request' },
      field: {
        type: 'string',
        description: 'e.g. `to.uin`, `text`, `body`, `account`, `Idempotency-Key`.',
      },
      reason: { type: 'string', description: 'e.g. `expected a number`.' },
      message: { type: 'string', description: '`<field>: <reason>`.' },
    },
  },
  PayloadTooLarge: {
    type: 'object',
    additionalProperties: false,
    required: ['error', 'maxBytes', 'message'],
    properties: {
      error: { const: 'payload_too_large' },
      maxBytes: { type: 'integer', description: 'The largest body read, in bytes: 32768.' },
      message: { type: 'string', description: "The body's size and the limit." },
    },
  },
  Unauthorized: {
    type: 'object',
    additionalProperties: false,
    required: ['error'],
    properties: { error: { const: 'unauthorized' } },
  },
  UnknownRecipient: {
    type: 'object',
    additionalProperties: false,
    required: ['error', 'reason'],
    properties: { error: { const: 'unknown_recipient' }, reason: { type: 'string' } },
  },
  AmbiguousRecipient: {
    type: 'object',
    additionalProperties: false,
    required: ['error', 'reason', 'candidates'],
    properties: {
      error: { const: 'ambiguous_recipient' },
      reason: { type: 'string' },
      candidates: {
        type: 'array',
        minItems: 2,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'uin'],
          properties: {
            name: {
              type: 'string',
              description: 'A friend as `markname (nick)` when it has a markname.',
            },
            uin: { $ref: '#/components/schemas/Uin' },
          },
        },
      },
    },
  },
  SessionOffline: {
    type: 'object',
    additionalProperties: false,
    required: ['error', 'state', 'since'],
    properties: {
      error: { const: 'session_offline' },
      state: { $ref: '#/components/schemas/SessionState' },
      since: {
        oneOf: [{ $ref: '#/components/schemas/Timestamp' }, { type: 'null' }],
        description: 'When the state began; null when the account never logged in.',
      },
      reason: { type: 'string' },
    },
  },
  InProgress: {
    type: 'object',
    additionalProperties: false,
    required: ['error'],
    properties: { error: { const: 'in_progress' } },
  },
  KeyReused: {
    type: 'object',
    additionalProperties: false,
    required: ['error', 'reason'],
    properties: { error: { const: 'idempotency_key_reused' }, reason: { type: 'string' } },
  },
  TooManyRequests: {
    type: 'object',
    additionalProperties: false,
    required: ['error', 'retryAfterSeconds'],
    properties: {
      error: { const: 'too_many_requests' },
      retryAfterSeconds: { type: 'integer', minimum: 1 },
    },
  },
  Upstream: {
    type: 'object',
    additionalProperties: false,
    required: ['error', 'result', 'partsSent', 'parts'],
    properties: {
      error: { const: 'upstream' },
      result: { type: 'string', enum: ['session_problem', 'rejected', 'not_sent'] },
      retcode: { type: 'integer', description: "SmartQQ's retcode (or HTTP 403 as 403)." },
      partsSent: { type: 'integer', minimum: 0 },
      parts: { type: 'integer', minimum: 0 },
    },
  },
  ContactsUnavailable: {
    type: 'object',
    additionalProperties: false,
    required: ['error', 'reason'],
    properties: { error: { const: 'contacts_unavailable' }, reason: { type: 'string' } },
  },
  Internal: {
    type: 'object',
    additionalProperties: false,
    required: ['error'],
    properties: { error: { const: 'internal' } },
  },
  Session: {
    type: 'object',
    additionalProperties: false,
    required: ['account', 'state', 'since'],
    properties: {
      account: { type: 'string' },
      state: { $ref: '#/components/schemas/SessionState' },
      since: {
        oneOf: [{ $ref: '#/components/schemas/Timestamp' }, { type: 'null' }],
        description: 'When the state began; null when the account never logged in.',
      },
      reason: { type: 'string', description: 'Why a QR scan is needed, in words for the owner.' },
    },
  },
  Contacts: {
    type: 'object',
    additionalProperties: false,
    required: ['account', 'fetchedAt', 'friends', 'groups', 'discussions'],
    properties: {
      account: { type: 'string' },
      fetchedAt: { $ref: '#/components/schemas/Timestamp' },
      friends: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['uin', 'nick'],
          properties: {
            uin: { $ref: '#/components/schemas/Uin' },
            nick: { type: 'string' },
            markname: { type: 'string' },
          },
        },
      },
      groups: { type: 'array', items: { $ref: '#/components/schemas/NamedChat' } },
      discussions: { type: 'array', items: { $ref: '#/components/schemas/NamedChat' } },
    },
  },
  NamedChat: {
    type: 'object',
    additionalProperties: false,
    required: ['uin', 'name'],
    properties: { uin: { $ref: '#/components/schemas/Uin' }, name: { type: 'string' } },
  },
  Qr: {
    type: 'object',
    additionalProperties: false,
    required: ['account', 'png', 'fetchedAt'],
    properties: {
      account: { type: 'string' },
      png: { type: 'string', contentEncoding: 'base64', contentMediaType: 'image/png' },
      fetchedAt: { $ref: '#/components/schemas/Timestamp' },
    },
  },
  NoQr: {
    type: 'object',
    additionalProperties: false,
    required: ['error', 'message'],
    properties: { error: { const: 'no_qr' }, message: { type: 'string' } },
  },
  LoginLink: {
    type: 'object',
    additionalProperties: false,
    required: ['account', 'url', 'expiresAt', 'state'],
    properties: {
      account: { type: 'string' },
      url: { type: 'string', format: 'uri', description: 'The page to open on a phone.' },
      expiresAt: { $ref: '#/components/schemas/Timestamp' },
      state: { $ref: '#/components/schemas/SessionState' },
    },
  },
  LoginState: {
    type: 'object',
    additionalProperties: false,
    required: ['account', 'state', 'linkExpiresAt'],
    properties: {
      account: { type: 'string' },
      state: {
        type: 'string',
        enum: ['waiting_for_qr', 'scan', 'scanned', 'expired', 'online', 'relinking'],
      },
      png: {
        type: 'string',
        contentEncoding: 'base64',
        contentMediaType: 'image/png',
        description: 'The QR code to scan, while there is one.',
      },
      qrFetchedAt: { $ref: '#/components/schemas/Timestamp' },
      refusedScanBy: {
        type: 'integer',
        description: 'The last QR was scanned with this other QQ account and refused; this one is new.',
      },
      reason: { type: 'string' },
      linkExpiresAt: { $ref: '#/components/schemas/Timestamp' },
    },
  },
  LinkProblem: {
    type: 'object',
    additionalProperties: false,
    required: ['error', 'message'],
    properties: {
      error: { type: 'string', enum: ['link_malformed', 'link_bad_signature', 'link_expired'] },
      message: { type: 'string' },
    },
  },
  Account: {
    type: 'object',
    additionalProperties: false,
    required: ['account', 'status', 'configured'],
    description:
      'A served account. Paused: not polled, and nothing is sent for it (what was received before is still answered).',
    properties: {
      account: { type: 'string', description: 'Its QQ number.' },
      status: { enum: ['active', 'paused'] },
      configured: {
        type: 'boolean',
        description:
          "Named by the deployment (ACCOUNTS, the stack's `accounts` context) rather than added through the registry.",
      },
      since: {
        $ref: '#/components/schemas/Timestamp',
        description: 'When the registry last changed it; absent for a configured account it never changed.',
      },
      onebot: {
        type: 'object',
        additionalProperties: false,
        required: ['postUrl'],
        description: "Its own OneBot bot (absent: the deployment's, if any).",
        properties: {
          postUrl: { type: ['string', 'null'], description: 'null: no OneBot bot for this account.' },
          mode: { enum: ['rules_first', 'onebot_only', 'both'] },
          format: { enum: ['string', 'array'] },
        },
      },
    },
  },
  AccountList: {
    type: 'object',
    additionalProperties: false,
    required: ['accounts'],
    properties: { accounts: { type: 'array', items: { $ref: '#/components/schemas/Account' } } },
  },
  AccountRemoved: {
    type: 'object',
    additionalProperties: false,
    required: ['account', 'status'],
    properties: { account: { type: 'string' }, status: { const: 'removed' } },
  },
  AccountProblem: {
    type: 'object',
    additionalProperties: false,
    required: ['error', 'message'],
    properties: {
      error: { enum: ['unknown_account', 'too_many_accounts'] },
      message: { type: 'string' },
    },
  },
  AccountPaused: {
    type: 'object',
    additionalProperties: false,
    required: ['error', 'account', 'message'],
    properties: {
      error: { const: 'account_paused' },
      account: { type: 'string' },
      message: { type: 'string' },
    },
  },
  OneBotEnvelope: {
    type: 'object',
    required: ['status', 'retcode', 'data'],
    description:
      "OneBot v11's answer envelope. `retcode`: 0 ok; 1 async (accepted; SmartQQ answered 1202: probably delivered, never sent again); 100 a parameter is missing or wrong; 102 no such friend, group, discussion or member in this login; 103 SmartQQ did not send it or the session cannot send now; 104 not supported by SmartQQ; 1400 the body does not parse; 1401 no token; 1403 a wrong token; 1404 not an action; 1406 neither JSON nor a form.",
    properties: {
      status: { enum: ['ok', 'async', 'failed'] },
      retcode: { type: 'integer' },
      data: {},
      message: { type: 'string' },
      wording: { type: 'string' },
      echo: { description: "The request's `echo`, as given." },
    },
  },
} satisfies Record<string, JsonSchema>;
