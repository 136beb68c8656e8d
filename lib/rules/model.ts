/**
 * The auto-reply rule: one DynamoDB item per rule, plain attributes a person can read and edit in
 * the AWS console. This schema is the one gate every writer (the CLI, an import) and the reader
 * (the consumer) go through, so what one accepts the other can run.
 */
import { RE2JS, RE2JSSyntaxException } from 're2js';
import { z } from 'zod';
import { UnrepresentableNumber, unrepresentableReason } from './stored-number.ts';
import { templateProblems } from './template.ts';

export const CHAT_TYPES = ['friend', 'group', 'discussion'] as const;
export type ChatType = (typeof CHAT_TYPES)[number];

export const MATCH_KINDS = ['exact', 'prefix', 'contains', 'keywords_any', 'keywords_all', 'regex'] as const;
export type MatchKind = (typeof MATCH_KINDS)[number];

/** The account value of a rule that applies to every account. */
export const ALL_ACCOUNTS = '*';

export const LIMITS = {
  /** A reply longer than this would be split into many messages: a flood, not an answer. */
  replyChars: 1_500,
  replies: 20,
  patternChars: 500,
  keywords: 50,
  names: 100,
  descriptionChars: 500,
  cooldownSeconds: 7 * 24 * 3600,
} as const;

const nonBlank = (what: string, max: number) =>
  z
    .string()
    .refine((s) => s.trim().length > 0, `${what} must not be empty`)
    .refine((s) => s.length <= max, `${what} is longer than ${max} characters`);

const nameList = z.array(nonBlank('a name', 200)).max(LIMITS.names);

const ruleShape = z
  .object({
    /** Which bot account the rule is for: its QQ number, or `*` for all accounts. */
    account: z.string().regex(/^(\*|[1-9][0-9]{4,11})$/, 'must be a QQ number or "*" for all accounts'),
    id: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
        'must be 1–64 of A-Z a-z 0-9 . _ - (not starting with . _ -)',
      ),
    enabled: z.boolean().default(true),
    /** Higher first; ties are broken by id. */
    priority: z.number().int().min(-1_000_000).max(1_000_000).default(0),
    description: z.string().max(LIMITS.descriptionChars).optional(),

    /** Where: the chat types, and optionally the chats (friend markname/nick, group or discussion name). */
    chatTypes: z.array(z.enum(CHAT_TYPES)).min(1, 'must name at least one of friend, group, discussion'),
    chats: nameList.optional(),
    excludeChats: nameList.optional(),
    /** Groups and discussions only: answer only when the message @-mentions the bot. */
    mentionOnly: z.boolean().default(false),

    /** When. */
    match: z.enum(MATCH_KINDS),
    pattern: nonBlank('pattern', LIMITS.patternChars).optional(),
    keywords: z.array(nonBlank('a keyword', LIMITS.patternChars)).min(1).max(LIMITS.keywords).optional(),
    caseSensitive: z.boolean().default(false),

    /** What: one reply, or a random choice among several; templates with {variables} and face markers. */
    replies: z
      .array(nonBlank('a reply', LIMITS.replyChars))
      .min(1, 'must have at least one reply')
      .max(LIMITS.replies),

    /** How often: seconds before the rule answers again in the same chat / to the same sender. */
    cooldownChatSeconds: z.number().int().min(0).max(LIMITS.cooldownSeconds).default(0),
    cooldownSenderSeconds: z.number().int().min(0).max(LIMITS.cooldownSeconds).default(0),
    /** Whether a match stops lower-priority rules (default: yes, one answer per message). */
    stop: z.boolean().default(true),

    updatedAt: z.string().optional(),
  })
  .strict();

export type Rule = z.output<typeof ruleShape>;
/** A rule as written by a person: defaults may be left out. */
export type RuleInput = z.input<typeof ruleShape>;

export interface RuleProblem {
  readonly ruleId: string;
  readonly field: string;
  readonly message: string;
}

export type RuleCheck =
  | { readonly ok: true; readonly rule: Rule }
  | { readonly ok: false; readonly problem: RuleProblem };

/** One finding of the rule schema, with zod's details: the field's path, the kind, the bounds or choices. */
export type RuleFieldIssue = z.core.$ZodIssue;

/**
 * Every finding of the schema about a rule's fields, for a caller that words them for its own users
 * (the rules CLI names the flag that set the field). Empty when every field is well-formed; the
 * checks across fields (pattern vs kind, the regex, the templates) are `checkRule`'s.
 */
export function ruleFieldIssues(input: unknown): readonly RuleFieldIssue[] {
  const parsed = ruleShape.safeParse(input);
  return parsed.success ? [] : parsed.error.issues;
}

/** Validates one rule; the problem names the rule and the field. Never throws. */
export function checkRule(input: unknown): RuleCheck {
  const ruleId = idOf(input);
  const unrepresentable = unrepresentableProblem(input, []);
  if (unrepresentable) return { ok: false, problem: { ruleId, ...unrepresentable } };
  const parsed = ruleShape.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field =
      issue?.path.join('.') || (issue?.code === 'unrecognized_keys' ? issue.keys.join(', ') : '(rule)');
    return { ok: false, problem: { ruleId, field, message: issue?.message ?? 'invalid' } };
  }
  const problem = crossFieldProblem(parsed.data);
  return problem ? { ok: false, problem: { ruleId, ...problem } } : { ok: true, rule: parsed.data };
}

/** The checks one field alone cannot make: pattern vs kind, the regex itself, template variables. */
function crossFieldProblem(rule: Rule): { field: string; message: string } | undefined {
  const usesKeywords = rule.match === 'keywords_any' || rule.match === 'keywords_all';
  if (usesKeywords && !rule.keywords)
    return { field: 'keywords', message: `is required for match "${rule.match}"` };
  if (usesKeywords && rule.pattern !== undefined) {
    return { field: 'pattern', message: `is not used by match "${rule.match}" (use keywords)` };
  }
  if (!usesKeywords && rule.pattern === undefined) {
    return { field: 'pattern', message: `is required for match "${rule.match}"` };
  }
  if (!usesKeywords && rule.keywords !== undefined) {
    return { field: 'keywords', message: `is only used by keywords_any and keywords_all` };
  }
  let captureGroups: ReadonlySet<string> = new Set();
  if (rule.match === 'regex') {
    const compiled = compileRegex(rule.pattern ?? '', rule.caseSensitive);
    if (typeof compiled === 'string') return { field: 'pattern', message: compiled };
    captureGroups = captureNames(compiled);
  }
  for (const [index, reply] of rule.replies.entries()) {
    const problem = templateProblems(reply, captureGroups)[0];
    if (problem) return { field: `replies.${index}`, message: problem };
  }
  if (rule.mentionOnly && !rule.chatTypes.some((t) => t !== 'friend')) {
    return { field: 'mentionOnly', message: 'only applies to group and discussion chats' };
  }
  return undefined;
}

/**
 * The regex on RE2 (linear time: no rule can hang the consumer), or why it cannot compile: the
 * pattern as written, then RE2's reason.
 */
export function compileRegex(pattern: string, caseSensitive: boolean): RE2JS | string {
  try {
    return RE2JS.compile(pattern, caseSensitive ? 0 : RE2JS.CASE_INSENSITIVE);
  } catch (err) {
    return `\`${pattern}\` is not a regular expression RE2 accepts: ${regexErrorReason(pattern, caseSensitive, err)}`;
  }
}

/**
 * RE2's reason, about the pattern as written. RE2JS compiles a case-insensitive pattern as
 * `(?i)pattern` and quotes that in its errors, so the pattern is parsed again as it is: case folding
 * changes what a pattern matches, not how it parses, so that fails the same way, quoting only what
 * the person wrote. The part quoted is left out when it is the whole pattern (shown already).
 */
function regexErrorReason(pattern: string, caseSensitive: boolean, err: unknown): string {
  let error = err;
  if (!caseSensitive) {
    try {
      RE2JS.compile(pattern, 0);
    } catch (asWritten) {
      error = asWritten;
    }
  }
  if (!(error instanceof RE2JSSyntaxException)) return error instanceof Error ? error.message : String(error);
  const input = error.input === `(?i)${pattern}` ? pattern : error.input;
  return input && input !== pattern ? `${error.error}: \`${input}\`` : error.error;
}

/** The capture names a template may use with this regex: "0".."N" and the named groups. */
export function captureNames(regex: RE2JS): ReadonlySet<string> {
  const names = new Set<string>();
  for (let i = 0; i <= regex.groupCount(); i++) names.add(String(i));
  for (const name of Object.keys(regex.namedGroups())) names.add(name);
  return names;
}

/** DynamoDB nests at most 32 levels; deeper is not a stored item (and stops a cycle). */
const MAX_DEPTH = 32;

/**
 * The first number in the item that no JavaScript number is (see `UnrepresentableNumber`; a bigint,
 * from another reader), with its field: zod would only say "expected number, received object".
 */
function unrepresentableProblem(
  value: unknown,
  path: readonly (string | number)[],
  depth = 0,
): { field: string; message: string } | undefined {
  const field = path.join('.') || '(rule)';
  if (value instanceof UnrepresentableNumber) return { field, message: unrepresentableReason(value.written) };
  if (typeof value === 'bigint') return { field, message: unrepresentableReason(String(value)) };
  if (depth >= MAX_DEPTH || typeof value !== 'object' || value === null) return undefined;
  let entries: Iterable<[string | number | undefined, unknown]>;
  if (Array.isArray(value)) entries = value.entries();
  else if (value instanceof Set)
    entries = [...value].map((member): [undefined, unknown] => [undefined, member]);
  else if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
    entries = Object.entries(value);
  } else return undefined;
  for (const [key, member] of entries) {
    const problem = unrepresentableProblem(member, key === undefined ? path : [...path, key], depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

function idOf(input: unknown): string {
  if (typeof input === 'object' && input !== null && 'id' in input && typeof input.id === 'string')
    return input.id;
  return '(no id)';
}
