/**
 * `msg_id` of the send calls (docs/protocol.md §5): any number that increases within a session is
 * accepted; the web client used `(unix_seconds % 10000) * 10000 + seq`.
 */

/** The web client's formula. `seq` is its per-session counter; it is not wrapped here. */
export function webClientMsgId(nowMs: number, seq: number): number {
  if (!Number.isFinite(nowMs) || nowMs < 0) throw new RangeError(`nowMs must be a time in ms, got ${nowMs}`);
  if (!Number.isSafeInteger(seq) || seq < 0)
    throw new RangeError(`seq must be a non-negative integer, got ${seq}`);
  return (Math.floor(nowMs / 1000) % 10000) * 10000 + seq;
}

/**
 * A strictly increasing msg_id source, injected where messages are sent so tests can pin it.
 * Start it from `webClientMsgId(Date.now(), 0)` to look like the web client.
 */
export class MsgIdCounter {
  #value: number;

  constructor(start = 0) {
    if (!Number.isSafeInteger(start)) throw new RangeError(`start must be a safe integer, got ${start}`);
    this.#value = start;
  }

  /** The next id: one more than the last one returned (or than `start`). */
  next(): number {
    if (this.#value >= Number.MAX_SAFE_INTEGER) throw new RangeError('msg_id counter exhausted');
    this.#value += 1;
    return this.#value;
  }

  /** The last id returned, or `start` before the first `next()`. */
  get value(): number {
    return this.#value;
  }
}
