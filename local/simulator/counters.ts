/**
 * What a test reads to prove invariants. Every queued event ends up in exactly one of
 * delivered / lost / dropped / still queued:
 * `eventsInjected = eventsDelivered + eventsLost + eventsDropped + eventsQueued` (since the last reset,
 * when nothing was queued at reset time).
 */
export interface CounterValues {
  /** Events put in a session queue: injected messages and notices, and the echoes of group/discussion sends. */
  eventsInjected: number;
  /** Events written to a poll for the first time. */
  eventsDelivered: number;
  /** Events taken off the queue for a poll whose client had gone (the real quirk: not requeued). */
  eventsLost: number;
  /** Events discarded, undelivered, when their session ended (replaced by a new login2, kicked, expired). */
  eventsDropped: number;
  /** Deliveries of an event that had already been delivered. */
  duplicatesDelivered: number;
  polls: number;
  pollsEmpty: number;
  /** Sends recorded as delivered. */
  sends: number;
  /** Delivered sends repeating the same kind, target and text within 10 s. */
  duplicateSends: number;
  faultsApplied: number;
  /** SmartQQ requests (not counting the control API). */
  requests: number;
}

export interface CountersSnapshot extends CounterValues {
  /** Events waiting in live session queues now. */
  eventsQueued: number;
}

const ZERO: CounterValues = {
  eventsInjected: 0,
  eventsDelivered: 0,
  eventsLost: 0,
  eventsDropped: 0,
  duplicatesDelivered: 0,
  polls: 0,
  pollsEmpty: 0,
  sends: 0,
  duplicateSends: 0,
  faultsApplied: 0,
  requests: 0,
};

export class Counters {
  values: CounterValues = { ...ZERO };

  add(name: keyof CounterValues, n = 1): void {
    this.values[name] += n;
  }

  reset(): void {
    this.values = { ...ZERO };
  }
}
