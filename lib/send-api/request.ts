/**
 * The body of `POST /v1/messages`, checked field by field: a bad body is answered with the field
 * and the reason, and nothing is sent (DESIGN.md invariant 6).
 */
import { z } from 'zod';
import { type ChatType, InvalidRequestError, UnknownAccountError } from './errors.ts';

/**
 * The longest text accepted, in characters (Unicode code points). SmartQQ itself takes 720 UTF-8
 * bytes per message; longer texts are split (docs/protocol.md §5), so 2,000 Chinese characters make
 * about nine messages — more than that is a document, not a chat message, and would flood the chat.
 */
export const MAX_TEXT_CHARS = 2_000;
/** QQ names are short; the cap only keeps absurd input out of the lookup. */
export const MAX_NAME_CHARS = 200;
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

const codePoints = (s: string) => [...s].length;

const recipientSchema = z
  .strictObject(
    {
      uin: z
        .number({ error: required('expected a number') })
        .int({ error: 'expected an integer' })
        .positive({ error: 'expected a positive id' })
        .optional(),
      name: z
        .string({ error: required('expected a string') })
        .refine((s) => s.trim() !== '', { error: 'must not be empty' })
        .refine((s) => codePoints(s) <= MAX_NAME_CHARS, { error: `at most ${MAX_NAME_CHARS} characters` })
        .optional(),
    },
    { error: required('expected an object with "uin" or "name"') },
  )
  .superRefine((to, ctx) => {
    if ((to.uin === undefined) === (to.name === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'expected exactly one of "uin" or "name"', path: [] });
    }
  });

const bodySchema = z.strictObject(
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
      }),
    account: z.string({ error: 'expected a string' }).optional(),
  },
  { error: 'expected a JSON object' },
);

/**
 * Parses and checks the raw body; the account defaults to the deployment's one and any other is
 * refused. Throws `InvalidRequestError` (or `UnknownAccountError`) naming the first bad field.
 */
export function parseSendRequest(body: string | undefined, deploymentAccount: string): SendRequest {
  if (body === undefined || body.trim() === '') throw new InvalidRequestError('body', 'required');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidRequestError('body', 'not valid JSON');
  }
  const parsed = bodySchema.safeParse(json);
  if (!parsed.success) throw toInvalidRequest(parsed.error.issues);
  const { type, to, text } = parsed.data;
  const account = checkAccount(parsed.data.account, deploymentAccount);
  const recipient: RecipientRef = to.uin !== undefined ? { uin: to.uin } : { name: to.name ?? '' };
  return { account, type, to: recipient, text };
}

/** The account asked for (default: the deployment's); any other is an unknown account. */
export function checkAccount(requested: string | undefined, deploymentAccount: string): string {
  if (requested === undefined || requested === deploymentAccount) return deploymentAccount;
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
    return new InvalidRequestError([...path, issue.keys[0] ?? ''].join('.'), 'unknown field');
  }
  return new InvalidRequestError(path.length === 0 ? 'body' : path.join('.'), issue.message);
}
