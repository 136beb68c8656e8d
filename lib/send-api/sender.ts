/**
 * The port the send flow sends through, and its SmartQQ implementation. Tests of the flow pass a
 * stub; the function and the integration tests pass the real one.
 */
import { SmartQQClients } from '../pipeline/session-clients.ts';
import type { SendResult, SendTarget, SmartQQHosts } from '../smartqq/index.ts';
import type { SessionJson } from '../smartqq/session.ts';

export interface MessageSender {
  send(account: string, session: SessionJson, target: SendTarget, text: string): Promise<SendResult>;
}

export interface SmartQQSenderOptions {
  readonly hosts: SmartQQHosts;
}

/**
 * One client per account and stored session, kept for the container's life (keep-alive
 * connections; msg_ids counted per client, see `SmartQQClients`).
 */
export function smartQQSender(options: SmartQQSenderOptions): MessageSender {
  const clients = new SmartQQClients(options.hosts);
  return {
    send: (account, session, target, text) => clients.clientFor(account, session).send(target, text),
  };
}
