/**
 * The demo at the terminal: demo contacts say, now and then, things the demo rules answer
 * (`local/demo-rules.json`), through the simulator's control API; and every message the bot sent
 * is printed, one line each, with the message it answers when there is one.
 */
import type { MessageInput, SentRecord } from '../simulator/index.ts';

export interface DemoLine {
  readonly message: MessageInput;
  /** How the chat shows the sender: group card, else friend markname, else nick. */
  readonly shownAs: string;
}

const say = (message: MessageInput, shownAs: string): DemoLine => ({ message, shownAs });

/** One round of demo chatter; each line meets a demo rule except the last (the bot keeps quiet). */
export const DEMO_LINES: readonly DemoLine[] = [
  say({ type: 'friend', from: 'Alice', text: 'ping' }, 'Ali'),
  say(
    { type: 'group', group: 'Hiking Club', from: 'Alice', text: 'anyone up for a hike this weekend?' },
    'Trail Boss',
  ),
  say({ type: 'friend', from: '小明', text: '天气 北京' }, '明明'),
  say({ type: 'group', group: 'Tea & Code', from: 'Bob & Co', text: '@DemoBot hello' }, 'Bob & Co'),
  say({ type: 'discussion', discussion: 'Weekend plans', from: '小明', text: 'help' }, '小明'),
  say({ type: 'friend', from: 'Dana Lee', text: 'good morning' }, 'Dana Lee'),
  say({ type: 'group', group: 'Hiking Club', from: 'Bob & Co', text: 'ping' }, 'Bob (gear)'),
  say({ type: 'friend', from: 'Bob & Co', text: '在吗?' }, 'Bob & Co'),
];

export interface DemoChatterOptions {
  /** The simulator's base URL; its control API is under `/_sim/`. */
  readonly simulatorUrl: string;
  readonly print: (line: string) => void;
  /** How often the sent log is read; default 1 s. */
  readonly readEveryMs?: number;
}

export interface DemoChatter {
  /** Starts the chatter: one line every `everyMs` (default 5 s), round after round. */
  talk(everyMs?: number, lines?: readonly DemoLine[]): void;
  close(): void;
}

interface Asked {
  readonly shownAs: string;
  readonly text: string;
}

export function startDemoChatter(options: DemoChatterOptions): DemoChatter {
  const control = `${options.simulatorUrl}/_sim`;
  /** The last demo message per chat, so a reply line can say what it answers. */
  const lastAsked = new Map<string, Asked>();
  const timers: NodeJS.Timeout[] = [];
  let printed = 0;
  let closed = false;

  const readSent = async () => {
    try {
      const res = await fetch(`${control}/sent`);
      const sent = (await res.json()) as SentRecord[];
      if (sent.length < printed) printed = 0; // the log was cleared
      for (const record of sent.slice(printed)) options.print(replyLine(record, lastAsked));
      printed = sent.length;
    } catch {
      // The simulator is stopping, or busy: the next read catches up.
    }
  };
  const reader = setInterval(() => void readSent(), options.readEveryMs ?? 1_000);
  timers.push(reader);

  return {
    talk(everyMs = 5_000, lines = DEMO_LINES) {
      let next = 0;
      const speak = async () => {
        const line = lines[next++ % lines.length];
        if (!line || closed) return;
        const res = await fetch(`${control}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(line.message),
        }).catch(() => undefined);
        if (!res?.ok || closed) return;
        const text = line.message.text ?? '';
        lastAsked.set(chatKey(line.message.type, chatName(line.message)), { shownAs: line.shownAs, text });
        options.print(`${chatLabel(line.message.type, chatName(line.message))} ${line.shownAs}: ${text}`);
      };
      timers.push(setInterval(() => void speak(), everyMs));
      void speak();
    },
    close() {
      closed = true;
      for (const timer of timers) clearInterval(timer);
    },
  };
}

function chatName(message: MessageInput): string {
  if (message.type === 'group') return message.group ?? '';
  if (message.type === 'discussion') return message.discussion ?? '';
  return String(message.from);
}

function chatKey(type: string, name: string): string {
  return `${type}:${name}`;
}

function chatLabel(type: string, name: string): string {
  return type === 'friend' ? '[friend]' : `[${type} ${name}]`;
}

/** `  ↳ bot to Ali ("ping"): pong` — or, for a message no demo line asked for, `  ↳ bot to Ali: …`. */
export function replyLine(record: SentRecord, lastAsked: ReadonlyMap<string, Asked>): string {
  const asked = lastAsked.get(chatKey(record.type, record.to.name));
  const where = record.type === 'friend' ? (record.to.markname ?? record.to.name) : record.to.name;
  const to = asked
    ? `${record.type === 'friend' ? asked.shownAs : `${asked.shownAs} in ${where}`} (${JSON.stringify(asked.text)})`
    : where;
  // 100100 is how send_discu_msg2 says "delivered" (PROTOCOL.md §5).
  const retcode = record.retcode === 0 || record.retcode === 100100 ? '' : ` (retcode ${record.retcode})`;
  return `  ↳ bot to ${to}: ${record.text}${retcode}`;
}
