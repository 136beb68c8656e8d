/**
 * The body of `POST /v1/messages`, checked field by field: a bad body is answered with the field
 * and the reason, and nothing is sent (DESIGN.md invariant 6).
 */
import { z } from 'zod';
import {
  type ChatType,
  echo,
  InvalidRequestError,
  PayloadTooLargeError,
  QQ_NUMBER_PATTERN,
  UnknownAccountError,
} from './errors.ts';

/**
 * The longest text accepted, in characters (Unicode code points). SmartQQ itself takes 720 UTF-8
 * bytes per message; longer texts are split (docs/protocol.md §5), so 2,000 Chinese characters make
 * about nine messages — more than that is a document, not a chat message, and would flood the chat.
 */
export const MAX_TEXT_CHARS = 2_000;
/** QQ names are short; the cap only keeps absurd input out of the lookup. */
export const MAX_NAME_CHARS = 200;
/**
 * The largest body read, in bytes: UTF-8 as it came, or decoded when API Gateway passes it
 * base64-encoded. Checked before anything parses the body; a larger one is answered 413.
 *
 * The largest valid request, compact, is
 * `{"type":"discussion","to":{"name":N},"text":T,"account":"123456789012"}`: 73 bytes around a
 * name of 200 and a text of 2,000 characters (code points). Sent as UTF-8 a character is at most
 * 4 bytes: 8,873 bytes in all. But encoders may escape every non-ASCII character (Python's
 * `json.dumps` does by default), and a character outside the BMP escapes as a surrogate pair,
 * `\ud83d\ude00`: 12 bytes. So the worst valid body is 73 + 12 × 2,200 = 26,473 bytes; 32 KiB
 * holds it with 6 KiB to spare for whitespace (pretty-printing). `MAX_BODY_BYTES` is checked
 * against this sum in test/unit/send-api/request.test.ts.
 */
export const MAX_BODY_BYTES = 32 * 1024;
/** As Stripe's: long enough for a UUID or a hash with a prefix, printable ASCII. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export type RecipientRef = { readonly uin: number } | { readonly name: string };

export interface SendRequest {
  readonly account: string;
  readonly type: ChatType;
  readonly to: RecipientRef;
  readonly text: string;
}

const required = (expected: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'required' : expected;

/** A text's length as people count it (and JSON Schema does): in code points, not UTF-16 units. */
export const codePoints = (s: string) => [...s].length;

const recipientSchema = z
  .strictObject(
    {
      uin: z
        .number({ error: required('expected a number') })
        .int({ error: 'expected an integer' })
        .positive({ error: 'expected a positive id' })
        .meta({
          description:
            "The current id (a friend's uin, a group's gid, a discussion's did): ids change on every login.",
        })
        .optional(),
      name: z
        .string({ error: required('expected a string') })
        .refine((s) => s.trim() !== '', { error: 'must not be empty' })
        .refine((s) => codePoints(s) <= MAX_NAME_CHARS, { error: `at most ${MAX_NAME_CHARS} characters` })
        // The checks above, for the document (a JSON Schema length counts code points too).
        .meta({
          description: 'A name among the current contacts: markname or nick, group or discussion name.',
          maxLength: MAX_NAME_CHARS,
          pattern: '\\S',
        })
        .optional(),
    },
    { error: required('expected an object with "uin" or "name"') },
  )
  .superRefine((to, ctx) => {
    if ((to.uin === undefined) === (to.name === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'expected exactly one of "uin" or "name"', path: [] });
    }
  })
  // The check above, for the document.
  .meta({
    description: 'Exactly one of uin or name.',
    oneOf: [{ required: ['uin'] }, { required: ['name'] }],
  });

export const bodySchema = z.strictObject(
  {
    type: z.enum(['friend', 'group', 'discussion'], {
      error: required('expected "friend", "group" or "discussion"'),
    }),
    to: recipientSchema,
    text: z
      .string({ error: required('expected a string') })
      .refine((s) => s.trim() !== '', { error: 'must not be empty' })
      .refine((s) => codePoints(s) <= MAX_TEXT_CHARS, {
        error: `too long: at most ${MAX_TEXT_CHARS} characters`,
      })
      .meta({
        description: 'The message: faces as /微笑 or [微笑]; a long text is sent as several messages.',
        minLength: 1,
        maxLength: MAX_TEXT_CHARS,
        pattern: '\\S',
      }),
    account: z
      .string({ error: 'expected a string' })
      .meta({
        description: 'The bot account to send as: needed when the deployment serves several.',
        pattern: QQ_NUMBER_PATTERN.source,
      })
      .optional(),
  },
  { error: 'expected a JSON object' },
);

/**
 * The body of an API Gateway event as text, its size checked first: `PayloadTooLargeError` past
 * `MAX_BODY_BYTES` (a base64-encoded body counts decoded). A base64 body that is not UTF-8 once
 * decoded is refused rather than read with U+FFFD in place of its bytes.
 */
export function readBody(body: string | undefined, base64Encoded: boolean): string | undefined {
  if (body === undefined) return undefined;
  if (!base64Encoded) {
    checkBodySize(Buffer.byteLength(body, 'utf8'));
    return body;
  }
  // Decoded at most 3/4 of the event's own size (API Gateway and Lambda bound that at 6 MB).
  const bytes = Buffer.from(body, 'base64');
  checkBodySize(bytes.length);
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new InvalidRequestError('body', 'not valid UTF-8');
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function checkBodySize(bytes: number): void {
  if (bytes > MAX_BODY_BYTES) throw new PayloadTooLargeError(bytes, MAX_BODY_BYTES);
}

/** A JSON body (its size first: see `readBody`): required, and JSON. */
export function parseJsonBody(body: string | undefined): unknown {
  if (body !== undefined) checkBodySize(Buffer.byteLength(body, 'utf8'));
  if (body === undefined || body.trim() === '') throw new InvalidRequestError('body', 'required');
  try {
    return JSON.parse(body);
  } catch {
    throw new InvalidRequestError('body', 'not valid JSON');
  }
}

/**
 * Parses and checks the raw body (its size first: see `readBody`); the account must be one the
 * deployment serves (and may be left out when it serves one). Throws `PayloadTooLargeError`, or `InvalidRequestError`
 * (or `UnknownAccountError`) naming the first bad field.
 */
export function parseSendRequest(body: string | undefined, served: readonly string[]): SendRequest {
  const parsed = bodySchema.safeParse(parseJsonBody(body));
  if (!parsed.success) throw toInvalidRequest(parsed.error.issues);
  const { type, to, text } = parsed.data;
  const account = checkAccount(parsed.data.account, served);
  const recipient: RecipientRef = to.uin !== undefined ? { uin: to.uin } : { name: to.name ?? '' };
  return { account, type, to: recipient, text };
}

/**
 * The account asked for, among those the deployment serves: optional when it serves one, required
 * when several. Anything but a QQ number is refused without being repeated; another QQ number is an
 * unknown account.
 */
export function checkAccount(requested: string | undefined, served: readonly string[]): string {
  if (requested === undefined) {
    if (served.length === 1) return served[0] as string;
    throw new InvalidRequestError('account', `required: this deployment serves ${served.join(', ')}`);
  }
  if (served.includes(requested)) return requested;
  if (!QQ_NUMBER_PATTERN.test(requested)) {
    throw new InvalidRequestError('account', 'expected a QQ number (5 to 12 digits, not starting with 0)');
  }
  throw new UnknownAccountError(requested);
}

/** The Idempotency-Key header, if any, checked. */
export function parseIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!IDEMPOTENCY_KEY_PATTERN.test(header)) {
    throw new InvalidRequestError('Idempotency-Key', 'expected 1 to 255 printable ASCII characters');
  }
  return header;
}

function toInvalidRequest(issues: readonly z.core.$ZodIssue[]): InvalidRequestError {
  const issue = issues[0];
  if (!issue) return new InvalidRequestError('body', 'invalid');
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    // The name is the caller's: only its start is repeated.
    return new InvalidRequestError([...path, echo(issue.keys[0] ?? '')].join('.'), 'unknown field');
  }
  return new InvalidRequestError(path.length === 0 ? 'body' : path.join('.'), issue.message);
}
