/**
 * The port the send flow sends through, and its SmartQQ implementation. Tests of the flow pass a
 * stub; the function and the integration tests pass the real one.
 */
import type { SessionStore } from '../pipeline/ports.ts';
import { type SendResult, type SendTarget, SmartQQClient, type SmartQQHosts } from '../smartqq/index.ts';
import { Session, type SessionJson } from '../smartqq/session.ts';

export interface MessageSender {
  send(account: string, session: SessionJson, target: SendTarget, text: string): Promise<SendResult>;
}

export interface SmartQQSenderOptions {
  readonly hosts: SmartQQHosts;
  /** msg_ids come from the store's atomic counter, so the poller's replies and the API never reuse one. */
  readonly sessions: Pick<SessionStore, 'nextMsgId'>;
}

/** A client per send, on the stored session; closed afterwards (a Lambda may freeze between sends). */
export function smartQQSender(options: SmartQQSenderOptions): MessageSender {
  return {
    async send(account, session, target, text) {
      const client = new SmartQQClient({
        hosts: options.hosts,
        session: Session.fromJSON(session),
        msgIds: () => options.sessions.nextMsgId(account),
      });
      try {
        return await client.send(target, text);
      } finally {
        client.close();
      }
    },
  };
}
