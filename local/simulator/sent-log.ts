/** What the bot sent, decoded, for tests to read; and the count of floods (same text twice within 10 s). */
import type { SendKind } from './send-request.ts';

export interface SentRecord {
  readonly account: number;
  readonly type: SendKind;
  readonly to: {
    /** Friend nick, group or discussion name (plain, not escaped). */
    readonly name: string;
    /** The id the bot used: this session's uin / gid / did. */
    readonly id: number;
    /** The friend's markname, when it has one. */
    readonly markname?: string;
  };
  /** Plain text, faces as `[微笑]`. */
  readonly text: string;
  /** The content string exactly as sent. */
  readonly content: string;
  readonly msgId: number;
  /** Unix seconds. */
  readonly time: number;
  /** The retcode the bot was answered (0 ok, 1202 when a 1202 fault said delivered, 100100 discussions). */
  readonly retcode: number;
}

export const DUPLICATE_WINDOW_MS = 10_000;

export class SentLog {
  private records: SentRecord[] = [];
  private readonly lastAt = new Map<string, number>();
  /** A listener told of each record (`SimulatorOptions.onSent`). */
  onRecord: ((rec: SentRecord, nowMs: number) => void) | undefined;

  /** Records a delivered send; true when it repeats an earlier one within the window. */
  record(rec: SentRecord, nowMs: number): boolean {
    this.records.push(rec);
    this.onRecord?.(rec, nowMs);
    const key = JSON.stringify([rec.account, rec.type, rec.to.name, rec.text]);
    const previous = this.lastAt.get(key);
    this.lastAt.set(key, nowMs);
    return previous !== undefined && nowMs - previous < DUPLICATE_WINDOW_MS;
  }

  list(): SentRecord[] {
    return [...this.records];
  }

  clear(): void {
    this.records = [];
    this.lastAt.clear();
  }
}
