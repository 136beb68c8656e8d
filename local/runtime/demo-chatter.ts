/**
 * The demo at the terminal: demo contacts say, now and then, things the demo rules answer
 * (`local/demo-rules.json`), through the simulator's control API. What the bot receives and sends
 * is printed by the transcript (`transcript.ts`), as for any other message.
 */
import type { MessageInput } from '../simulator/index.ts';

/**
 * One round of demo chatter; each line meets a demo rule except the last of each account (the bot
 * keeps quiet). Lines without `account` speak to the first demo account (DemoBot, 20001); the
 * others to the second (BookBot, 20002), which answers by its own rule.
 */
export const DEMO_LINES: readonly MessageInput[] = [
  { type: 'friend', from: 'Alice', text: 'ping' },
  { type: 'group', group: 'Book Club', from: 'Librarian', text: 'which book this month?', account: 20002 },
  { type: 'group', group: 'Hiking Club', from: 'Alice', text: 'anyone up for a hike this weekend?' },
  { type: 'friend', from: '小明', text: '天气 北京' },
  { type: 'group', group: 'Tea & Code', from: 'Bob & Co', text: '@DemoBot hello' },
  { type: 'discussion', discussion: 'Weekend plans', from: '小明', text: 'help' },
  { type: 'friend', from: 'Dana Lee', text: 'good morning' },
  { type: 'group', group: 'Hiking Club', from: 'Bob & Co', text: 'ping' },
  { type: 'friend', from: 'Alice', text: 'any good book to read?', account: 20002 },
  { type: 'friend', from: 'Bob & Co', text: '在吗?' },
  { type: 'friend', from: '小明', text: 'see you at the club', account: 20002 },
];

/** The demo lines spoken to `account` (a line without one speaks to the world's first account). */
export function demoLinesFor(account: number, firstAccount: number): MessageInput[] {
  return DEMO_LINES.filter((line) => (line.account ?? firstAccount) === account);
}

export interface DemoChatterOptions {
  /** The simulator's base URL; its control API is under `/_sim/`. */
  readonly simulatorUrl: string;
  /** One line every this long, round after round; default 5 s. */
  readonly everyMs?: number;
  readonly lines?: readonly MessageInput[];
  /** A line the simulator refused (it names why). */
  readonly onError?: (message: string) => void;
}

export interface DemoChatter {
  close(): void;
}

/** Starts the chatter at once. */
export function startDemoChatter(options: DemoChatterOptions): DemoChatter {
  const lines = options.lines ?? DEMO_LINES;
  let next = 0;
  let closed = false;
  const speak = async () => {
    const line = lines[next++ % lines.length];
    if (!line || closed) return;
    const res = await fetch(`${options.simulatorUrl}/_sim/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(line),
    }).catch(() => undefined);
    // No answer: the simulator is stopping. A refusal names the line's problem.
    if (res && !res.ok && !closed) options.onError?.(`demo line refused: ${await res.text()}`);
  };
  const timer = setInterval(() => void speak(), options.everyMs ?? 5_000);
  void speak();
  return {
    close() {
      closed = true;
      clearInterval(timer);
    },
  };
}
