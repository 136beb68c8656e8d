/**
 * QR login across invocations: the poller fetches a QR (kept in the session record, with the
 * cookie jar holding its qrsig, for the owner to see: the terminal locally, `GET /v1/session/qr`
 * in AWS), looks at its state every 2 s while time remains, fetches a new one when it expires, and
 * on "allowed" links the session, checks it is the configured account, and loads the contacts.
 */
import { CookieJar } from 'tough-cookie';
import { SmartQQClient } from '../smartqq/client.ts';
import { scannedAccount } from '../smartqq/login.ts';
import { keepMembersApart, loadContactsCache } from './contacts-cache.ts';
import { LINK_RESERVE_MS, type PollerDeps } from './poller-deps.ts';
import type { SessionRecord } from './ports.ts';

const LOOK_EVERY_MS = 2_000;

export async function advanceQrLogin(deps: PollerDeps, start: SessionRecord): Promise<SessionRecord> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let record = start;
  const jar = record.qr ? CookieJar.deserializeSync(record.qr.cookies as unknown as string) : new CookieJar();
  const client = new SmartQQClient({ hosts: deps.hosts, pollLimits: deps.pollLimits, session: undefined });
  // The QR's cookie (qrsig) lives in this jar: carry it over from the last invocation.
  await copyJar(jar, client);
  const save = async (changes: Parameters<PollerDeps['sessions']['update']>[2]) => {
    record = await deps.sessions.update(deps.account, record.version, changes);
  };
  const showNewQr = async (refused?: { scannedBy: number; at: number }) => {
    const qr = await client.fetchQr();
    await save({
      state: 'scan_pending',
      stateSince: now(),
      qr: {
        pngBase64: qr.png.toString('base64'),
        fetchedAt: qr.fetchedAt,
        cookies: jarJson(client),
        ...(refused ? { refused } : {}),
      },
    });
    deps.log.info('new QR code to scan');
  };
  try {
    if (!record.qr) await showNewQr();
    while (deps.remainingMs() > (deps.linkReserveMs ?? LINK_RESERVE_MS)) {
      const status = await client.checkQr();
      if (status.state === 'expired') {
        await showNewQr();
      } else if (status.state === 'scanned' && record.qr && record.qr.scannedAt === undefined) {
        // Said once per QR, for the login page: the owner has still to confirm on the phone.
        await save({ qr: { ...record.qr, cookies: jarJson(client), scannedAt: now() } });
      } else if (status.state === 'confirmed') {
        // Scanned with another account: refused before check_sig, so no session of that account is
        // made (and none is left logged in by this bot); a new QR for the owner.
        const scanned = scannedAccount(status.checkSigUrl);
        if (scanned !== undefined && scanned !== deps.account) {
          deps.log.error('QR scanned with another QQ account', { scanned: Number(scanned) });
          await save({ qr: undefined, reason: `the QR was scanned with QQ ${scanned}, not ${deps.account}` });
          await showNewQr({ scannedBy: Number(scanned), at: now() });
          continue;
        }
        const session = await client.completeLogin(status.checkSigUrl);
        if (String(session.tokens.uin) !== deps.account) {
          deps.log.error('QR scanned with another QQ account', { scanned: session.tokens.uin });
          await save({
            qr: undefined,
            reason: `the QR was scanned with QQ ${session.tokens.uin}, not ${deps.account}`,
          });
          await showNewQr({ scannedBy: session.tokens.uin, at: now() });
          continue;
        }
        const contacts = await keepMembersApart(
          deps.memberLists,
          deps.account,
          await loadContactsCache(client, now()),
          now(),
          deps,
        );
        await save({
          state: 'online',
          stateSince: now(),
          reason: undefined,
          qr: undefined,
          session: session.toJSON(),
          contacts,
        });
        deps.log.info('logged in by QR code', { nick: contacts.selfNick });
        return record;
      }
      await sleep(LOOK_EVERY_MS);
    }
    // Out of time: keep the jar (its qrsig) so the next invocation goes on with the same QR.
    if (record.qr) await save({ qr: { ...record.qr, cookies: jarJson(client) } });
    return record;
  } finally {
    client.close();
  }
}

function jarJson(client: SmartQQClient): Record<string, unknown> {
  return client.api.http.jar.serializeSync() as unknown as Record<string, unknown>;
}

async function copyJar(from: CookieJar, client: SmartQQClient): Promise<void> {
  for (const cookie of await from.store.getAllCookies()) await client.api.http.jar.store.putCookie(cookie);
}
