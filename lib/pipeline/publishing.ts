/**
 * Getting polled messages onto the inbound queue (DESIGN.md invariant 1: nothing received is lost):
 * what SQS will not take goes to the outbox in DynamoDB, and the next cycle publishes the outbox
 * first.
 */
import { reportInbound } from './activity.ts';
import type { PollerDeps } from './poller-deps.ts';
import type { InboundMessage } from './ports.ts';

/** Tries of an outbox write after a failed publish. */
const OUTBOX_ATTEMPTS = 3;

/**
 * Publishes, keeping what SQS would not take in the outbox (invariant 1: nothing lost). False when
 * even the outbox failed: every event key is logged and counted, and the loop stops rather than
 * take more messages off the server that it could not keep either.
 */
export async function publishOrKeep(
  deps: PollerDeps,
  messages: readonly InboundMessage[],
  stats: { published: number },
): Promise<boolean> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const { failed } = await deps.queue.publish(messages);
  for (const message of messages) reportInbound({ message });
  stats.published += messages.length - failed.length;
  deps.metrics?.count('events_published', messages.length - failed.length);
  if (failed.length === 0) return true;
  deps.log.warn('events kept in the outbox for the next cycle', { count: failed.length });
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.outbox.add(failed);
      return true;
    } catch (err) {
      if (attempt < OUTBOX_ATTEMPTS) {
        await sleep(200 * 2 ** attempt);
        continue;
      }
      deps.metrics?.count('events_unsaved', failed.length);
      deps.log.error('events neither published nor kept: lost unless the queue took them after all', {
        keys: failed.map((m) => m.key),
        conversations: failed.map((m) => m.conversation),
        reason: (err as Error).message,
      });
      return false;
    }
  }
}

/** Publishes what an earlier cycle kept in the outbox; how many went out. */
export async function flushOutbox(deps: PollerDeps): Promise<number> {
  const waiting = await deps.outbox.list(deps.account);
  if (waiting.length === 0) return 0;
  const { failed } = await deps.queue.publish(waiting);
  const failedKeys = new Set(failed.map((m) => m.key));
  const published = waiting.filter((m) => !failedKeys.has(m.key));
  await deps.outbox.remove(
    deps.account,
    published.map((m) => m.key),
  );
  deps.log.info('published events kept from an earlier cycle', {
    count: published.length,
    left: failed.length,
  });
  return published.length;
}
