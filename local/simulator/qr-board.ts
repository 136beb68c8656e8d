/**
 * The QR login (docs/protocol.md §2): one QR at a time, a new one replaces the previous. Waiting (66) →
 * scanned (67) → confirmed (0), or expired (65) after its TTL or on demand. A confirmed QR carries
 * the login it created.
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
}

export class QrBoard {
  private qr: QrCode | undefined;

  create(now: number): QrCode {
    const qrsig = randomToken(64);
    this.qr = {
      qrsig,
      createdAt: now,
      text: `https://txz.qq.com/p?k=${randomToken(32).replace(/[*-]/g, 'x')}&f=501004106`,
      status: 'waiting',
      login: undefined,
    };
    return this.qr;
  }

  /** The current QR, when `qrsig` names it; an older (replaced) QR is gone. */
  find(qrsig: string | undefined): QrCode | undefined {
    return qrsig !== undefined && this.qr?.qrsig === qrsig ? this.qr : undefined;
  }

  current(now: number, ttlMs: number): QrCode | undefined {
    if (this.qr) this.expireIfOld(this.qr, now, ttlMs);
    return this.qr;
  }

  expireIfOld(qr: QrCode, now: number, ttlMs: number): void {
    if ((qr.status === 'waiting' || qr.status === 'scanned') && now - qr.createdAt >= ttlMs)
      qr.status = 'expired';
  }

  /** Moves the current QR on, as the phone would; throws 409 when there is none to act on. */
  act(action: 'scan' | 'allow' | 'expire', now: number, ttlMs: number): QrCode {
    const qr = this.current(now, ttlMs);
    if (!qr) throw new SimulatorControlError(409, 'no_qr', 'no QR has been shown (GET /ptqrshow first)');
    if (qr.status === 'expired') throw new SimulatorControlError(409, 'qr_expired', 'the QR has expired');
    if (qr.status === 'confirmed')
      throw new SimulatorControlError(409, 'qr_confirmed', 'the QR was already allowed');
    if (action === 'scan') qr.status = 'scanned';
    if (action === 'expire') qr.status = 'expired';
    return qr;
  }
}
