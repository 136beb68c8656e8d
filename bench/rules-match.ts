/**
 * Per-message match cost for 10, 1,000 and 10,000 rules of a realistic mix, and the ratio
 * 10,000 / 10 (goal: under 3x).
 *
 * Rules: 35% keywords_any, 10% keywords_all, 20% exact, 10% prefix, 15% contains, 10% regex (with a
 * word in it, `^word\s*(\S+)` → `{$1}?`), plus a few regexes with no literal at all (`^\d+$`, …)
 * in every set; scopes, priorities, case modes and stop flags vary. Words are drawn from the CJK
 * block and from Latin stems with numbers.
 *
 * Messages: the same 2,000 chat lines of ordinary words for every set; in a third of them, one word
 * is swapped for a word of one of the set's rules (an owner writes rules for what people say, so the
 * share of messages that a rule answers does not depend on how many rules there are).
 */
import { type IncomingMessage, loadRuleSet, type RuleInput, type RuleSet } from '../lib/rules/index.ts';
import { prng } from '../test/support/prng.ts';

const LATIN = ['hike', 'ping', 'help', 'weather', 'movie', 'lunch', 'deploy', 'build', 'test', 'coffee'];
const NO_LITERAL = ['^\\d+$', '^[a-z]+\\?$', '(\\d{3,})\\s*点'];
const MESSAGES = 2_000;
const ROUNDS = 11;

function words(random: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  // The common CJK block: real chat text draws on thousands of characters, not a handful.
  const han = () => String.fromCharCode(0x4e00 + Math.floor(random() * 0x5000));
  const word = () =>
    random() < 0.7
      ? han() + han() + (random() < 0.5 ? han() : '')
      : pick(LATIN) + Math.floor(random() * 1_000_000);
  return { pick, word };
}

interface BenchSet {
  readonly rules: RuleInput[];
  /** One word per rule that makes it match (when scope and stop allow). */
  readonly triggers: string[];
}

function makeSet(size: number): BenchSet {
  const random = prng(size);
  const { pick, word } = words(random);
  const rules: RuleInput[] = [];
  const triggers: string[] = [];
  for (let i = 0; i < size; i++) {
    const base = {
      account: random() < 0.8 ? '20001' : '*',
      id: `rule-${String(i).padStart(5, '0')}`,
      priority: Math.floor(random() * 10),
      chatTypes:
        random() < 0.6
          ? ['friend', 'group', 'discussion']
          : [pick(['friend', 'group', 'discussion'] as const)],
      replies: [`reply ${i} to {sender}`],
      caseSensitive: random() < 0.1,
      stop: random() < 0.9,
    } satisfies Partial<RuleInput>;
    const trigger = word();
    const roll = random();
    triggers.push(trigger);
    if (i < NO_LITERAL.length) {
      rules.push({ ...base, match: 'regex', pattern: NO_LITERAL[i] as string });
      triggers[i] = '123';
    } else if (roll < 0.35) rules.push({ ...base, match: 'keywords_any', keywords: [trigger, word()] });
    else if (roll < 0.45) rules.push({ ...base, match: 'keywords_all', keywords: [trigger] });
    else if (roll < 0.65) rules.push({ ...base, match: 'exact', pattern: trigger });
    else if (roll < 0.75) rules.push({ ...base, match: 'prefix', pattern: trigger });
    else if (roll < 0.9) rules.push({ ...base, match: 'contains', pattern: trigger });
    else rules.push({ ...base, match: 'regex', pattern: `^${trigger}\\s*(\\S+)`, replies: ['{$1}?'] });
  }
  return { rules, triggers };
}

function messagesFor(set: BenchSet): IncomingMessage[] {
  const random = prng(7);
  const { pick, word } = words(random);
  return Array.from({ length: MESSAGES }, (_, i) => {
    const parts = Array.from({ length: 2 + Math.floor(random() * 6) }, word);
    const addressed = random() < 1 / 3;
    const trigger = pick(set.triggers);
    if (addressed) parts[0] = trigger;
    const chatType = pick(['friend', 'group', 'discussion'] as const);
    return {
      account: '20001',
      chatType,
      chatName: chatType === 'friend' ? 'Ali' : 'Hiking Club',
      senderName: 'Ali',
      senderNick: 'Alice',
      senderUin: i,
      text: addressed && random() < 0.3 ? trigger : parts.join(random() < 0.5 ? ' ' : ''),
      botNick: 'DemoBot',
      botNames: ['DemoBot'],
    };
  });
}

function measure(
  ruleSet: RuleSet,
  messages: readonly IncomingMessage[],
): { micros: number; answered: number } {
  let answered = 0;
  for (const m of messages) ruleSet.match(m); // warm-up
  const samples: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    answered = 0;
    const started = performance.now();
    for (const m of messages) if (ruleSet.match(m, () => 0).length > 0) answered++;
    samples.push(((performance.now() - started) * 1000) / messages.length);
  }
  samples.sort((a, b) => a - b);
  return { micros: samples[Math.floor(ROUNDS / 2)] ?? 0, answered };
}

export function runRulesBench(): void {
  console.log(`rules: per-message match cost (median of ${ROUNDS} rounds over ${MESSAGES} messages)`);
  console.log(' rules   compile ms   µs/message   messages answered');
  const results = new Map<number, number>();
  for (const size of [10, 1_000, 10_000]) {
    const set = makeSet(size);
    const started = performance.now();
    const { ruleSet, problems } = loadRuleSet(set.rules);
    const compileMs = performance.now() - started;
    if (problems.length > 0) throw new Error(`bench rules invalid: ${JSON.stringify(problems[0])}`);
    const { micros, answered } = measure(ruleSet, messagesFor(set));
    results.set(size, micros);
    console.log(
      `${String(size).padStart(6)}   ${compileMs.toFixed(1).padStart(10)}   ${micros.toFixed(2).padStart(10)}   ${String(answered).padStart(8)} / ${MESSAGES}`,
    );
  }
  const ratio = (results.get(10_000) ?? 0) / (results.get(10) ?? 1);
  console.log(`ratio 10,000 / 10 rules: ${ratio.toFixed(2)}x (goal: under 3x)`);
}
