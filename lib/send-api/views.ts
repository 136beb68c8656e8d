/**
 * What `GET /v1/session` and `GET /v1/contacts` show: built field by field from the session record,
 * so no secret (cookies, ptwebqq, vfwebqq, psessionid, the QR) can slip into an answer.
 */
import type { ServedAccount } from '../pipeline/accounts.ts';
import type { SessionRecord, SessionState } from '../pipeline/ports.ts';
import { currentLogin } from './recipients.ts';

export interface SessionView {
  readonly account: string;
  readonly state: SessionState;
  /** When the state began (ISO 8601), null when the account never logged in. */
  readonly since: string | null;
  readonly reason?: string;
}

export function sessionView(record: SessionRecord | undefined, account: string): SessionView {
  if (record === undefined) return { account, state: 'needs_qr', since: null, reason: 'never logged in' };
  return {
    account,
    state: record.state,
    since: isoTime(record.stateSince),
    ...(record.reason === undefined ? {} : { reason: record.reason }),
  };
}

export interface QrView {
  readonly account: string;
  /** The QR code as a PNG, base64: scan it with the QQ app of this account. */
  readonly png: string;
  /** When it was fetched (ISO 8601); a QR lives about two minutes, the poller shows a new one after. */
  readonly fetchedAt: string;
}

/** The QR waiting to be scanned, or undefined when none is (only the image: never its cookies). */
export function qrView(record: SessionRecord | undefined, account: string): QrView | undefined {
  if (record?.state !== 'scan_pending' || !record.qr) return undefined;
  return { account, png: record.qr.pngBase64, fetchedAt: isoTime(record.qr.fetchedAt) ?? '' };
}

export interface ContactsView {
  readonly account: string;
  /** When the list was fetched (ISO 8601). */
  readonly fetchedAt: string;
  readonly friends: readonly { uin: number; nick: string; markname?: string }[];
  readonly groups: readonly { uin: number; name: string }[];
  readonly discussions: readonly { uin: number; name: string }[];
}

/**
 * The contacts of the current login, each with the id to send to (`to.uin`: a friend's uin, a
 * group's gid, a discussion's did). Only while online: ids of another login point nowhere.
 */
export function contactsView(record: SessionRecord | undefined, account: string): ContactsView {
  const { contacts } = currentLogin(record, account);
  return {
    account,
    fetchedAt: isoTime(contacts.fetchedAt),
    friends: contacts.friends.map((f) => ({
      uin: f.uin,
      nick: f.nick,
      ...(f.markname === undefined ? {} : { markname: f.markname }),
    })),
    groups: contacts.groups.map((g) => ({ uin: g.gid, name: g.name })),
    discussions: contacts.discussions.map((d) => ({ uin: d.did, name: d.name })),
  };
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** One served account as the API lists it. */
export function accountView(served: ServedAccount) {
  return {
    account: served.account,
    status: served.status,
    configured: served.configured,
    ...(served.since === undefined ? {} : { since: isoTime(served.since) }),
    ...(served.onebot === undefined ? {} : { onebot: served.onebot }),
  };
}
