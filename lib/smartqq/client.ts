/**
 * The SmartQQ client: one object per account holding the HTTP connection, the cookie jar and the
 * session, with login, relink, contacts, poll and send. Knows nothing of AWS.
 */
import type { LookupFunction } from 'node:net';
import { SmartQQApi, sleep } from './api.ts';
import * as contacts from './contacts.ts';
import type { Segment } from './content.ts';
import { REAL_HOSTS, type SmartQQHosts } from './endpoints.ts';
import { HttpClient } from './http.ts';
import {
  checkQr,
  completeLogin,
  fetchQr,
  type QrCode,
  type QrStatus,
  type RelinkResult,
  registerSession,
  relink,
} from './login.ts';
import { webClientMsgId } from './msg-id.ts';
import {
  DEFAULT_POLL_LIMITS,
  type PollLimits,
  type PollOptions,
  type PollOutcome,
  poll,
  pollNeedsMs,
} from './poll.ts';
import { type SendResult, type SendTarget, sendMessage, sendText } from './send.ts';
import { Session } from './session.ts';

export interface SmartQQClientOptions {
  /** Defaults to the real hosts. */
  readonly hosts?: SmartQQHosts;
  /** DNS override for the HTTP agent (tests resolve the real names to 127.0.0.1). */
  readonly lookup?: LookupFunction;
  readonly userAgent?: string;
  readonly pollLimits?: PollLimits;
  /** msg_id source, e.g. an atomic counter in a database; defaults to the web client's formula. */
  readonly msgIds?: () => number | Promise<number>;
  /** A saved session to resume (see `Session.fromJSON`). */
  readonly session?: Session;
}

export interface QrLoginOptions {
  /** Called with each new QR code (a fresh one after each expiry). */
  readonly onQr: (qr: QrCode) => void | Promise<void>;
  readonly onStatus?: (status: QrStatus) => void;
  /** Pause between two looks at the QR state (the web client used 1–3 s). */
  readonly intervalMs?: number;
  /** How many QR codes to show before giving up. */
  readonly maxQrCodes?: number;
  readonly signal?: AbortSignal;
}

export class QrLoginFailedError extends Error {
  override readonly name = 'QrLoginFailedError';
}

export class NotLoggedInError extends Error {
  override readonly name = 'NotLoggedInError';
  constructor() {
    super('no SmartQQ session: log in with a QR code or restore a saved session first');
  }
}

export class SmartQQClient {
  readonly api: SmartQQApi;
  private current: Session | undefined;
  private readonly pollLimits: PollLimits;
  private readonly msgIds: (() => number | Promise<number>) | undefined;
  private lastMsgId = 0;

  constructor(options: SmartQQClientOptions = {}) {
    const http = new HttpClient({
      ...(options.session ? { jar: options.session.jar } : {}),
      ...(options.userAgent ? { userAgent: options.userAgent } : {}),
      ...(options.lookup ? { lookup: options.lookup } : {}),
    });
    this.api = new SmartQQApi(http, options.hosts ?? REAL_HOSTS);
    this.current = options.session;
    this.pollLimits = options.pollLimits ?? DEFAULT_POLL_LIMITS;
    this.msgIds = options.msgIds;
  }

  get session(): Session {
    if (!this.current) throw new NotLoggedInError();
    return this.current;
  }

  get hasSession(): boolean {
    return this.current !== undefined;
  }

  fetchQr(): Promise<QrCode> {
    return fetchQr(this.api);
  }

  checkQr(): Promise<QrStatus> {
    return checkQr(this.api);
  }

  async completeLogin(checkSigUrl: string): Promise<Session> {
    this.current = await completeLogin(this.api, checkSigUrl);
    return this.current;
  }

  /** The whole QR login: show a QR, wait for scan and allow (a new QR on expiry), then link. */
  async loginWithQr(options: QrLoginOptions): Promise<Session> {
    const interval = options.intervalMs ?? 2_000;
    const maxQrCodes = options.maxQrCodes ?? 5;
    for (let shown = 0; shown < maxQrCodes; shown++) {
      await options.onQr(await this.fetchQr());
      for (;;) {
        if (options.signal?.aborted) throw new QrLoginFailedError('QR login cancelled');
        const status = await this.checkQr();
        options.onStatus?.(status);
        if (status.state === 'confirmed') return this.completeLogin(status.checkSigUrl);
        if (status.state === 'expired') break;
        await sleep(interval);
      }
    }
    throw new QrLoginFailedError(`no QR code was scanned and allowed (${maxQrCodes} shown)`);
  }

  relink(): Promise<RelinkResult> {
    return relink(this.api, this.session);
  }

  /** get_online_buddies2: the answer to a poll2 retcode 103 (throws if the session is dead). */
  register(): Promise<void> {
    return registerSession(this.api, this.session);
  }

  getFriends(): Promise<contacts.Friend[]> {
    return contacts.getFriends(this.api, this.session);
  }

  getGroups(): Promise<contacts.Group[]> {
    return contacts.getGroups(this.api, this.session);
  }

  getGroupDetail(code: number): Promise<contacts.GroupDetail> {
    return contacts.getGroupDetail(this.api, this.session, code);
  }

  getDiscussions(): Promise<contacts.Discussion[]> {
    return contacts.getDiscussions(this.api, this.session);
  }

  getDiscussionDetail(did: number): Promise<contacts.DiscussionDetail> {
    return contacts.getDiscussionDetail(this.api, this.session, did);
  }

  getSelfInfo(): Promise<contacts.SelfInfo> {
    return contacts.getSelfInfo(this.api);
  }

  loadContacts(): Promise<contacts.ContactBook> {
    return contacts.loadContactBook(this.api, this.session);
  }

  /** One long poll; see `PollOutcome` for what to do with each answer. */
  poll(options: PollOptions): Promise<PollOutcome> {
    return poll(this.api, this.session, options, this.pollLimits);
  }

  /** The least budget `poll` accepts with this client's limits. */
  get pollNeedsMs(): number {
    return pollNeedsMs(this.pollLimits);
  }

  send(target: SendTarget, text: string): Promise<SendResult> {
    return sendText(this.api, this.session, target, text, () => this.nextMsgId());
  }

  /** One message of exactly these segments (already split to fit, see `splitForSending`). */
  sendSegments(target: SendTarget, segments: readonly Segment[]): Promise<SendResult> {
    return sendMessage(this.api, this.session, target, segments, () => this.nextMsgId());
  }

  close(): void {
    this.api.http.close();
  }

  private nextMsgId(): number | Promise<number> {
    if (this.msgIds) return this.msgIds();
    const session = this.session;
    // The formula's seq takes four digits: wrap it rather than overflow into the seconds part.
    session.msgIdSeq = (session.msgIdSeq + 1) % 10_000;
    // The formula drops when seq or the seconds wrap: this client's ids keep growing all the same.
    this.lastMsgId = Math.max(webClientMsgId(Date.now(), session.msgIdSeq), this.lastMsgId + 1);
    return this.lastMsgId;
  }
}

export { Session };
