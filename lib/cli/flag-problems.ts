/**
 * What is wrong with a rule built from command-line flags, in the words of that command line: the
 * flag to give or to fix and what it takes, not the schema's field paths or zod's wording. The rule
 * model still decides what is valid; this file only says it.
 */
import { CHAT_TYPES, checkRule, MATCH_KINDS, type RuleFieldIssue, ruleFieldIssues } from '../rules/model.ts';
import type { RuleField } from './rule-fields.ts';

/** How the command gives the fields of the rule it builds. */
export interface FlagWords {
  /** The flag that set the field in this command (`--reply`, `--set replies`, `--unset pattern`). */
  readonly source: (field: RuleField) => string | undefined;
  /** How to give a field the rule lacks: `--reply TEXT`, `--set replies=TEXT`. */
  readonly give: (field: RuleField) => string;
  /** How to name a match kind the command set: `--match regex`, `match regex`. */
  readonly matchKind: (kind: string) => string;
  /** More words on a missing field, for this command (add: `--reply` may be given several times). */
  readonly missingHint?: (field: RuleField) => string | undefined;
}

/** Every problem of the rule, one line each; empty when the model accepts it. */
export function flagProblems(rule: Record<string, unknown>, words: FlagWords): string[] {
  const issues = ruleFieldIssues(rule);
  if (issues.length > 0) return unique(issues.map((issue) => issueText(issue, rule, words)));
  const checked = checkRule(rule);
  if (checked.ok) return [];
  return [crossFieldText(checked.problem.field, checked.problem.message, rule, words)];
}

/** The words for a field the rule must have, as a noun phrase after "missing ...: ". */
function whatItIs(field: string, rule: Record<string, unknown>, words: FlagWords): string {
  const kind = typeof rule.match === 'string' ? rule.match : undefined;
  switch (field) {
    case 'account':
      return `the bot's QQ number the rule is for, or "*" for every account`;
    case 'id':
      return `the rule's name, unique within its account (letters, digits, . _ -)`;
    case 'match':
      return `how to match the message: one of ${MATCH_KINDS.join(', ')}`;
    case 'pattern':
      return kind === 'regex'
        ? `the regular expression to look for with ${words.matchKind(kind)}`
        : `the text to look for${kind ? ` with ${words.matchKind(kind)}` : ''}`;
    case 'keywords':
      return `the words to look for${kind ? ` with ${words.matchKind(kind)}` : ''} (comma-separated)`;
    case 'replies':
      return 'the reply to send';
    case 'chatTypes':
      return `where the rule answers: one or more of ${CHAT_TYPES.join(', ')} (comma-separated)`;
    default:
      return `the rule's ${field}`;
  }
}

const NOUNS: Partial<Record<string, [one: string, many: string]>> = {
  chatTypes: ['chat type', 'chat types'],
  chats: ['chat name', 'chat names'],
  excludeChats: ['chat name', 'chat names'],
  keywords: ['keyword', 'keywords'],
  replies: ['reply', 'replies'],
};

const UNITS: Partial<Record<string, string>> = {
  cooldownChatSeconds: ' seconds',
  cooldownSenderSeconds: ' seconds',
};

function issueText(issue: RuleFieldIssue, rule: Record<string, unknown>, words: FlagWords): string {
  const [field, index] = issue.path;
  if (typeof field !== 'string') {
    if (issue.code === 'unrecognized_keys') {
      return `the stored rule has ${issue.keys.length === 1 ? 'an attribute' : 'attributes'} no rule has: ${issue.keys.join(', ')} (export the rule, fix it and import it)`;
    }
    return 'the rule is not an object';
  }
  const whole = rule[field];
  const value = typeof index === 'number' && Array.isArray(whole) ? whole[index] : whole;
  if (value === undefined && issue.code === 'invalid_type') return missingText(field, rule, words);
  const subject = subjectOf(field, value, typeof index === 'number' || !Array.isArray(whole), words);
  return `${subject}: ${issueWords(issue, field, value)}`;
}

/** What is wrong, from the schema's details (the bounds, the choices) rather than zod's sentence. */
function issueWords(issue: RuleFieldIssue, field: string, value: unknown): string {
  const [one, many] = NOUNS[field] ?? ['item', 'items'];
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${typeWords(issue.expected)}`;
    case 'too_small':
      if (issue.origin === 'array') {
        return issue.minimum === 1 ? `give at least one ${one}` : `give at least ${issue.minimum} ${many}`;
      }
      if (issue.origin === 'string') return 'must not be empty';
      return `must be at least ${issue.minimum}${UNITS[field] ?? ''}`;
    case 'too_big':
      if (issue.origin === 'array') {
        const count = Array.isArray(value) ? ` (not ${value.length})` : '';
        return `at most ${issue.maximum} ${issue.maximum === 1 ? one : many}${count}`;
      }
      if (issue.origin === 'string') {
        const count = typeof value === 'string' ? ` (not ${value.length})` : '';
        return `at most ${issue.maximum} characters${count}`;
      }
      return `must be at most ${issue.maximum}${UNITS[field] ?? ''}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_format':
    case 'custom':
      // The model's own words ("must be a QQ number or ...", "a reply must not be empty").
      return issue.message;
    default:
      return 'is not accepted';
  }
}

function typeWords(expected: string): string {
  switch (expected) {
    case 'string':
      return 'text';
    case 'number':
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    default:
      return expected;
  }
}

/** The problems only the whole rule shows: pattern vs kind, the regex, the templates, @-mentions. */
function crossFieldText(
  path: string,
  message: string,
  rule: Record<string, unknown>,
  words: FlagWords,
): string {
  const [field = path, index] = path.split('.');
  const kind = String(rule.match);
  const keywordKind = kind === 'keywords_any' || kind === 'keywords_all';
  if ((field === 'pattern' || field === 'keywords') && rule[field] === undefined) {
    return missingText(field, rule, words);
  }
  // A stored field the edit made useless is removed; one the command gave was given by mistake.
  const stored = words.source(field as RuleField) === undefined;
  if (field === 'pattern' && keywordKind) {
    const fix = stored ? `remove it with --unset pattern` : `give the words with ${words.give('keywords')}`;
    return `${subjectOf(field, undefined, false, words)}: not used by ${words.matchKind(kind)} (${fix})`;
  }
  if (field === 'keywords' && !keywordKind) {
    const fix = stored
      ? 'remove them with --unset keywords'
      : `${words.matchKind(kind)} takes ${words.give('pattern')}`;
    return `${subjectOf(field, undefined, false, words)}: only used by match keywords_any and keywords_all (${fix})`;
  }
  const whole = rule[field];
  const value = index !== undefined && Array.isArray(whole) ? whole[Number(index)] : undefined;
  return `${subjectOf(field, value, index !== undefined, words)}: ${message}`;
}

function missingText(field: string, rule: Record<string, unknown>, words: FlagWords): string {
  const what = whatItIs(field, rule, words);
  const source = words.source(field as RuleField);
  if (source?.startsWith('--unset')) return `${source}: a rule needs ${field} (${what})`;
  const hint = words.missingHint?.(field as RuleField);
  return `missing ${words.give(field as RuleField)}: ${what}${hint ? ` (${hint})` : ''}`;
}

/** `--priority 2000000`, `--set priority=2000000`, `--reply ""`, or the stored rule's field. */
function subjectOf(field: string, value: unknown, showValue: boolean, words: FlagWords): string {
  const source = words.source(field as RuleField) ?? `the stored rule's ${field}`;
  if (!showValue || value === undefined) return source;
  const shown = typeof value === 'string' ? quoted(value) : JSON.stringify(value);
  return source.startsWith('--set ') ? `${source}=${shown}` : `${source} ${shown}`;
}

/** A value as typed: bare when it is one plain word, else in double quotes; long ones cut. */
function quoted(text: string): string {
  const cut = [...text].length > 60 ? `${[...text].slice(0, 59).join('')}…` : text;
  return /^[^\s"'`$\\]+$/.test(cut) ? cut : `"${cut}"`;
}

function unique(lines: string[]): string[] {
  return [...new Set(lines)];
}
