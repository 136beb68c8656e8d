/**
 * The QR login (docs/protocol.md §2): each QR belongs to the browser that fetched it (its `qrsig`
 * cookie), so several can wait at once — two bots logging in side by side, as on the real service.
 * Waiting (66) → scanned (67) → confirmed (0), or expired (65) after its TTL or on demand. A confirmed
 * QR carries the login it created. The control API acts on the newest QR.
 */
import { SimulatorControlError } from './input.ts';
import type { AccountLogin } from './logins.ts';
import { randomToken } from './tokens.ts';

export type QrStatus = 'waiting' | 'scanned' | 'confirmed' | 'expired';

export interface QrCode {
  readonly qrsig: string;
  readonly createdAt: number;
  /** What the PNG encodes: the shape of the real phone-app link. */
  readonly text: string;
  status: QrStatus;
  login: AccountLogin | undefined;
  /**
   * Accounts this browser turned down (it asked for a new QR instead of linking one allowed with
   * them): its bot is someone else's, so the automatic scan does not use them on its QRs.
   */
  readonly notFor: Set<number>;
}

/** QRs kept at most: the oldest are forgotten (their qrsig then answers 65, expired). */
const MAX_QRS = 100;

export class QrBoard {
  private readonly qrs = new Map<string, QrCode>();
  private newest: QrCode | undefined;

  create(now: number, notFor: ReadonlySet<number> = new Set()): QrCode {
    const qrsig = randomToken(64);
    const qr: QrCode = {
      notFor: new Set(notFor),
      qrsig,
      createdAt: now,
      text: `https://txz.qq.com/p?k=${randomToken(32).replace(/[*-]/g, 'x')}&f=501004106`,
      status: 'waiting',
      login: undefined,
    };
    this.qrs.set(qrsig, qr);
    if (this.qrs.size > MAX_QRS) this.qrs.delete(this.qrs.keys().next().value as string);
    this.newest = qr;
    return qr;
  }

  /** The QR `qrsig` names, whether or not others were shown since. */
  find(qrsig: string | undefined): QrCode | undefined {
    return qrsig === undefined ? undefined : this.qrs.get(qrsig);
  }

  /** The newest QR (the one the control API acts on). */
  current(now: number, ttlMs: number): QrCode | undefined {
    if (this.newest) this.expireIfOld(this.newest, now, ttlMs);
    return this.newest;
  }

  expireIfOld(qr: QrCode, now: number, ttlMs: number): void {
    if ((qr.status === 'waiting' || qr.status === 'scanned') && now - qr.createdAt >= ttlMs)
      qr.status = 'expired';
  }

  /** Moves a QR on (default the newest), as the phone would; throws 409 when there is none to act on. */
  act(action: 'scan' | 'allow' | 'expire', now: number, ttlMs: number, which?: QrCode): QrCode {
    const qr = which ?? this.current(now, ttlMs);
    if (qr) this.expireIfOld(qr, now, ttlMs);
    if (!qr) throw new SimulatorControlError(409, 'no_qr', 'no QR has been shown (GET /ptqrshow first)');
    if (qr.status === 'expired') throw new SimulatorControlError(409, 'qr_expired', 'the QR has expired');
    if (qr.status === 'confirmed')
      throw new SimulatorControlError(409, 'qr_confirmed', 'the QR was already allowed');
    if (action === 'scan') qr.status = 'scanned';
    if (action === 'expire') qr.status = 'expired';
    return qr;
  }
}
