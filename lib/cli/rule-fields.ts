/**
 * Rule fields as typed on a command line: `--set priority=5`, `--keywords hike,weekend`. Turns
 * text into the value's type; whether the value is allowed is `checkRule`'s call, not this file's.
 */
import type { RuleInput } from '../rules/model.ts';
import { UsageError } from './usage-error.ts';

type FieldKind = 'text' | 'integer' | 'boolean' | 'list' | 'replies';

/** Every field a person sets (`updatedAt` is the store's); the compiler checks none is missing. */
const FIELD_KINDS = {
  account: 'text',
  id: 'text',
  enabled: 'boolean',
  priority: 'integer',
  description: 'text',
  chatTypes: 'list',
  chats: 'list',
  excludeChats: 'list',
  mentionOnly: 'boolean',
  match: 'text',
  pattern: 'text',
  keywords: 'list',
  caseSensitive: 'boolean',
  replies: 'replies',
  cooldownChatSeconds: 'integer',
  cooldownSenderSeconds: 'integer',
  stop: 'boolean',
} as const satisfies Record<Exclude<keyof RuleInput, 'updatedAt'>, FieldKind>;

export type RuleField = keyof typeof FIELD_KINDS;

export const RULE_FIELDS = Object.keys(FIELD_KINDS) as RuleField[];

export function ruleField(name: string, context: string): RuleField {
  if (!Object.hasOwn(FIELD_KINDS, name)) {
    throw new UsageError(`${context}: unknown field "${name}" (fields: ${RULE_FIELDS.join(', ')})`);
  }
  return name as RuleField;
}

/**
 * A field's value from its text. Lists are comma-separated or a JSON array of strings; replies are
 * one reply per text (`--reply` again for more) or a JSON array.
 */
export function fieldValue(field: RuleField, text: string, context: string): unknown {
  switch (FIELD_KINDS[field]) {
    case 'text':
      return text;
    case 'integer':
      if (!/^-?\d+$/.test(text.trim()))
        throw new UsageError(`${context}: ${field} takes a whole number, not "${text}"`);
      return Number(text);
    case 'boolean':
      if (text !== 'true' && text !== 'false')
        throw new UsageError(`${context}: ${field} takes true or false, not "${text}"`);
      return text === 'true';
    case 'list':
      return jsonStringArray(text) ?? splitList(text);
    case 'replies':
      return jsonStringArray(text) ?? [text];
  }
}

/** `field=value` of `--set`. */
export function parseAssignment(assignment: string): { field: RuleField; value: unknown } {
  const context = `--set ${assignment}`;
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new UsageError(`${context}: expected field=value`);
  const field = ruleField(assignment.slice(0, eq).trim(), context);
  return { field, value: fieldValue(field, assignment.slice(eq + 1), context) };
}

export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function jsonStringArray(text: string): string[] | undefined {
  if (!text.trimStart().startsWith('[')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
  } catch {
    return undefined;
  }
}
