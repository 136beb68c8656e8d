/**
 * Where a rule is matched. A rule set is compiled once (the consumer caches it and reloads it when
 * the table changes) into indexes, so the cost of a message depends on the message, not on how many
 * rules there are:
 * - exact rules: a hash map from the whole text;
 * - prefix, contains and keyword rules, and every regex rule with a required literal: one
 *   literal index per case mode, scanned once;
 * - the few regexes with no usable literal: run on every message (RE2: linear time, never hangs).
 * Candidates are then checked in the one deterministic order: priority (higher first), then id.
 */
import type { RE2JS } from 're2js';
import { LiteralIndex } from './literal-index.ts';
import { addressedText, type IncomingMessage } from './message.ts';
import { ALL_ACCOUNTS, checkRule, compileRegex, type Rule, type RuleProblem } from './model.ts';
import { requiredLiteral } from './regex-literal.ts';
import { type CompiledTemplate, compileTemplate, renderTemplate, type TemplateValues } from './template.ts';

export interface RuleMatch {
  readonly rule: Rule;
  /** The reply, rendered (face markers still as text). */
  readonly reply: string;
}

interface CompiledRule {
  readonly rule: Rule;
  /** Position in the priority order. */
  readonly order: number;
  readonly regex?: RE2JS;
  readonly replies: readonly CompiledTemplate[];
  readonly usesCaptures: boolean;
  readonly chats?: ReadonlySet<string>;
  readonly excludeChats?: ReadonlySet<string>;
}

type LiteralRole = 'contains' | 'prefix' | 'keyword' | 'regex';

interface LiteralUse {
  readonly compiled: CompiledRule;
  readonly role: LiteralRole;
  readonly keyword?: number;
}

export class RuleSet {
  private readonly exactSensitive = new Map<string, CompiledRule[]>();
  private readonly exactInsensitive = new Map<string, CompiledRule[]>();
  private readonly sensitive = new LiteralIndex<LiteralUse>();
  private readonly insensitive = new LiteralIndex<LiteralUse>();
  private readonly alwaysRun: CompiledRule[] = [];
  /** All of `alwaysRun` as one alternation: one linear pass rules them all out (like RE2::Set). */
  private readonly anyAlwaysRun: RE2JS | undefined;
  readonly size: number;

  /** `rules` must be valid (see `checkRule`); disabled ones are left out. */
  constructor(rules: readonly Rule[]) {
    const ordered = rules
      .filter((r) => r.enabled)
      .sort((a, b) => b.priority - a.priority || compareIds(a, b));
    this.size = ordered.length;
    for (const [order, rule] of ordered.entries()) this.index(compile(rule, order));
    this.anyAlwaysRun = alternation(this.alwaysRun.map((c) => c.rule));
  }

  /**
   * The rules that answer this message, in order, up to and including the first one that stops
   * lower-priority rules. `random` picks among a rule's replies.
   */
  match(message: IncomingMessage, random: () => number = Math.random): RuleMatch[] {
    const { mentioned, text } = addressedText(message);
    const lower = text.toLowerCase();
    const candidates = new Set<CompiledRule>();
    let keywordHits: Map<CompiledRule, Set<number>> | undefined;

    for (const c of this.exactSensitive.get(text) ?? []) candidates.add(c);
    for (const c of this.exactInsensitive.get(lower) ?? []) candidates.add(c);
    const uses: LiteralUse[] = [];
    const starts: number[] = [];
    this.sensitive.collect(text, uses, starts);
    this.insensitive.collect(lower, uses, starts);
    for (const [i, use] of uses.entries()) {
      if (use.role === 'prefix' && starts[i] !== 0) continue;
      if (use.role === 'keyword' && use.compiled.rule.match === 'keywords_all') {
        keywordHits ??= new Map();
        const hits = keywordHits.get(use.compiled) ?? new Set<number>();
        hits.add(use.keyword ?? 0);
        keywordHits.set(use.compiled, hits);
        if (hits.size === use.compiled.rule.keywords?.length) candidates.add(use.compiled);
        continue;
      }
      candidates.add(use.compiled);
    }
    if (this.alwaysRun.length > 0 && (this.anyAlwaysRun?.test(text) ?? true)) {
      for (const c of this.alwaysRun) candidates.add(c);
    }

    const matches: RuleMatch[] = [];
    for (const candidate of [...candidates].sort((a, b) => a.order - b.order)) {
      if (!inScope(candidate, message, mentioned)) continue;
      let captures: Record<string, string | undefined> | undefined = {};
      if (candidate.regex) {
        if (!candidate.regex.test(text)) continue;
        // Extracting groups costs several times a plain test: only when a reply uses them.
        if (candidate.usesCaptures) captures = regexCaptures(candidate.regex, text);
      }
      if (!captures) continue;
      matches.push({ rule: candidate.rule, reply: render(candidate, message, text, captures, random) });
      if (candidate.rule.stop) break;
    }
    return matches;
  }

  private index(compiled: CompiledRule): void {
    const { rule } = compiled;
    const literals = rule.caseSensitive ? this.sensitive : this.insensitive;
    const key = (s: string) => (rule.caseSensitive ? s : s.toLowerCase());
    switch (rule.match) {
      case 'exact': {
        const map = rule.caseSensitive ? this.exactSensitive : this.exactInsensitive;
        const text = key((rule.pattern ?? '').trim());
        map.set(text, [...(map.get(text) ?? []), compiled]);
        return;
      }
      case 'prefix':
        literals.add(key((rule.pattern ?? '').trim()), { compiled, role: 'prefix' });
        return;
      case 'contains':
        literals.add(key(rule.pattern ?? ''), { compiled, role: 'contains' });
        return;
      case 'keywords_any':
      case 'keywords_all':
        for (const [keyword, word] of (rule.keywords ?? []).entries()) {
          literals.add(key(word), { compiled, role: 'keyword', keyword });
        }
        return;
      case 'regex': {
        // The literal is lower-cased and necessary in the lower-cased text, whatever the case mode.
        const literal = requiredLiteral(rule.pattern ?? '', rule.caseSensitive);
        if (literal) this.insensitive.add(literal, { compiled, role: 'regex' });
        else this.alwaysRun.push(compiled);
        return;
      }
    }
  }
}

export interface LoadedRuleSet {
  readonly ruleSet: RuleSet;
  /** One per invalid rule: the consumer logs each once per load and serves the valid ones. */
  readonly problems: RuleProblem[];
}

/** Validates raw items (as read from the table or a file) and compiles the valid ones. */
export function loadRuleSet(items: readonly unknown[]): LoadedRuleSet {
  const rules: Rule[] = [];
  const problems: RuleProblem[] = [];
  for (const item of items) {
    const checked = checkRule(item);
    if (checked.ok) rules.push(checked.rule);
    else problems.push(checked.problem);
  }
  return { ruleSet: new RuleSet(rules), problems };
}

/**
 * One regex matching wherever any of the rules' regexes does, each with its own case flag. Named
 * groups are made plain (names may repeat across rules); undefined if RE2 refuses the whole.
 */
function alternation(rules: readonly Rule[]): RE2JS | undefined {
  if (rules.length < 2) return undefined;
  const parts = rules.map((r) => {
    const pattern = (r.pattern ?? '').replace(/\(\?P?<[A-Za-z_][A-Za-z0-9_]*>/g, '(');
    return `(?${r.caseSensitive ? '' : 'i'}:${pattern})`;
  });
  const combined = compileRegex(parts.join('|'), true);
  return typeof combined === 'string' ? undefined : combined;
}

function compile(rule: Rule, order: number): CompiledRule {
  const nameSet = (names: readonly string[] | undefined) => (names ? new Set(names.map(nameKey)) : undefined);
  const chats = nameSet(rule.chats);
  const excludeChats = nameSet(rule.excludeChats);
  let regex: RE2JS | undefined;
  if (rule.match === 'regex') {
    const compiled = compileRegex(rule.pattern ?? '', rule.caseSensitive);
    if (typeof compiled === 'string') throw new Error(`rule ${rule.id}: pattern ${compiled}`);
    regex = compiled;
  }
  const replies = rule.replies.map(compileTemplate);
  return {
    rule,
    order,
    replies,
    usesCaptures: replies.some((r) => r.usesCaptures),
    ...(regex ? { regex } : {}),
    ...(chats ? { chats } : {}),
    ...(excludeChats ? { excludeChats } : {}),
  };
}

function inScope(compiled: CompiledRule, message: IncomingMessage, mentioned: boolean): boolean {
  const { rule } = compiled;
  if (rule.account !== ALL_ACCOUNTS && rule.account !== message.account) return false;
  if (!rule.chatTypes.includes(message.chatType)) return false;
  if (rule.mentionOnly && message.chatType !== 'friend' && !mentioned) return false;
  // A friend may be named by markname or nick.
  const names = [message.chatName, ...(message.chatType === 'friend' ? [message.senderNick] : [])].map(
    nameKey,
  );
  if (compiled.chats && !names.some((n) => compiled.chats?.has(n))) return false;
  if (compiled.excludeChats && names.some((n) => compiled.excludeChats?.has(n))) return false;
  return true;
}

/** Captures of the first match by name and number, or undefined when the regex does not match. */
function regexCaptures(regex: RE2JS, text: string): Record<string, string | undefined> | undefined {
  const matcher = regex.matcher(text);
  if (!matcher.find()) return undefined;
  const captures: Record<string, string | undefined> = {};
  for (let i = 0; i <= regex.groupCount(); i++) captures[String(i)] = matcher.group(i) ?? undefined;
  for (const name of Object.keys(regex.namedGroups())) captures[name] = matcher.group(name) ?? undefined;
  return captures;
}

function render(
  compiled: CompiledRule,
  message: IncomingMessage,
  text: string,
  captures: Record<string, string | undefined>,
  random: () => number,
): string {
  const { replies } = compiled;
  const index = Math.min(replies.length - 1, Math.max(0, Math.floor(random() * replies.length)));
  const values: TemplateValues = {
    sender: message.senderName,
    nick: message.senderNick,
    chat: message.chatName,
    group: message.chatType === 'friend' ? '' : message.chatName,
    text,
    bot: message.botNick,
  };
  const template = replies[index];
  return template ? renderTemplate(template, values, captures) : '';
}

function nameKey(name: string): string {
  return name.trim().toLowerCase();
}

function compareIds(a: Rule, b: Rule): number {
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return a.account < b.account ? -1 : a.account > b.account ? 1 : 0;
}
