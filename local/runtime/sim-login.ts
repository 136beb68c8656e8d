/**
 * An account logged in through the simulator with its session stored, as the poller would leave
 * it after a QR login: for tools and tests that need many online accounts at once (the simulator
 * shows one QR at a time, so their logins go one after the other here).
 */
import { keepMembersApart, loadContactsCache } from '../../lib/pipeline/contacts-cache.ts';
import type { MemberLists, SessionStore } from '../../lib/pipeline/ports.ts';
import { SmartQQClient } from '../../lib/smartqq/client.ts';
import { singleBaseHosts } from '../../lib/smartqq/endpoints.ts';
import type { PollLimits } from '../../lib/smartqq/poll.ts';
import type { Simulator } from '../simulator/index.ts';

export async function logInThroughSimulator(
  sim: Simulator,
  account: string,
  stores: { readonly sessions: SessionStore; readonly memberLists: MemberLists },
  pollLimits?: PollLimits,
): Promise<void> {
  const client = new SmartQQClient({
    hosts: singleBaseHosts(sim.url),
    ...(pollLimits ? { pollLimits } : {}),
  });
  try {
    await client.loginWithQr({
      intervalMs: 20,
      onQr: async () => {
        // The account's phone scans and allows it.
        sim.qr('scan');
        sim.qr('allow', Number(account));
      },
    });
    const now = Date.now();
    const created = await stores.sessions.ensure(account, now);
    await stores.sessions.update(account, created.version, {
      state: 'online',
      stateSince: now,
      session: client.session.toJSON(),
      contacts: await keepMembersApart(
        stores.memberLists,
        account,
        await loadContactsCache(client, now),
        now,
      ),
    });
  } finally {
    client.close();
  }
}
