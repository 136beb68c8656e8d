/**
 * The login page a phone opens from a signed link (`login-link.ts`): the QR code to scan and what
 * the login is doing, refreshed every 2 s from `GET /login/{token}/state`. The page is one static
 * document with no external resource; the state is built field by field from the session record,
 * so no cookie, token or session can reach it (only the QR image, which is what the owner scans).
 */
import { createHash } from 'node:crypto';
import type { SessionRecord } from '../pipeline/ports.ts';
import { isoTime } from './views.ts';

/** A QR lives about two minutes (docs/protocol.md §2); older, it is shown as expired. */
export const QR_LIFETIME_MS = 120_000;

export type LoginState =
  /** No QR yet: the poller shows one at its next run (within a minute). */
  | 'waiting_for_qr'
  /** A QR to scan with the QQ app of the account. */
  | 'scan'
  /** Scanned: the owner confirms on the phone. */
  | 'scanned'
  /** The QR is too old; a new one comes at the poller's next look. */
  | 'expired'
  | 'online'
  /** Online before, reconnecting without a QR. */
  | 'relinking';

export interface LoginStateView {
  readonly account: string;
  readonly state: LoginState;
  /** The QR code as a base64 PNG, while there is one to scan. */
  readonly png?: string;
  readonly qrFetchedAt?: string;
  /** The last QR was scanned with this other QQ account and refused; this one is new. */
  readonly refusedScanBy?: number;
  /** Why a QR is needed, in words (never a secret). */
  readonly reason?: string;
  /** When the link stops opening the page. */
  readonly linkExpiresAt: string;
}

export function loginStateView(
  record: SessionRecord | undefined,
  account: string,
  nowMs: number,
  linkExpiresAt: number,
): LoginStateView {
  const base = { account, linkExpiresAt: isoTime(linkExpiresAt) };
  const reason = record?.reason === undefined ? {} : { reason: record.reason };
  if (record?.state === 'online') return { ...base, state: 'online' };
  if (record?.state === 'relinking') return { ...base, state: 'relinking' };
  const qr = record?.state === 'scan_pending' ? record.qr : undefined;
  if (!qr) return { ...base, state: 'waiting_for_qr', ...reason };
  const state: LoginState =
    qr.scannedAt !== undefined ? 'scanned' : nowMs - qr.fetchedAt >= QR_LIFETIME_MS ? 'expired' : 'scan';
  return {
    ...base,
    state,
    ...(state === 'expired' ? {} : { png: qr.pngBase64 }),
    qrFetchedAt: isoTime(qr.fetchedAt),
    ...(qr.refused ? { refusedScanBy: qr.refused.scannedBy } : {}),
    ...reason,
  };
}

/** What the page says in each state (also what the end-to-end test reads). */
export const STATE_TEXT: Readonly<Record<LoginState, string>> = {
  waiting_for_qr: 'Waiting for a QR code — the bot shows one within a minute.',
  scan: 'Scan this QR code with the QQ app of the bot’s account.',
  scanned: 'Scanned. Confirm the login on your phone.',
  expired: 'This QR code has expired. A new one is on its way.',
  online: 'The bot is online. You can close this page.',
  relinking: 'The bot is reconnecting (no scan needed).',
};

const SCRIPT = `
const texts = ${JSON.stringify(STATE_TEXT)};
const stateUrl = location.pathname.replace(/\\/$/, '') + '/state';
const $ = (id) => document.getElementById(id);
let lastPng = '';
async function look() {
  let next = 2000;
  try {
    const answer = await fetch(stateUrl, { cache: 'no-store' });
    const body = await answer.json();
    if (!answer.ok) {
      $('status').textContent = body.message || 'This link cannot be used.';
      document.body.dataset.state = body.error || 'link_error';
      $('qr').hidden = true;
      return;
    }
    document.body.dataset.state = body.state;
    $('account').textContent = 'QQ ' + body.account;
    $('status').textContent = texts[body.state] || body.state;
    const refused = body.refusedScanBy !== undefined && body.state !== 'online';
    $('refused').hidden = !refused;
    if (refused) $('refused').textContent = 'The last QR code was scanned with QQ ' + body.refusedScanBy +
      ', not with QQ ' + body.account + '. Scan this one with the bot’s account.';
    $('reason').hidden = !body.reason || body.state === 'online';
    $('reason').textContent = body.reason || '';
    if (body.png && body.png !== lastPng) { $('qr').src = 'data:image/png;base64,' + body.png; lastPng = body.png; }
    $('qr').hidden = !body.png;
    if (body.state === 'online') next = 0;
  } catch (e) {
    $('status').textContent = 'Cannot reach the bot; trying again…';
  }
  if (next) setTimeout(look, next);
}
look();
`;

const SCRIPT_HASH = createHash('sha256').update(SCRIPT).digest('base64');

/** The page's own answer headers: nothing loaded from elsewhere, no Referer with the link token. */
export const LOGIN_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': `default-src 'none'; img-src data:; style-src 'unsafe-inline'; connect-src 'self'; script-src 'sha256-${SCRIPT_HASH}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
};

export const LOGIN_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>QQ bot login</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; padding: 24px 16px; text-align: center;
         background: #f4f6f8; color: #1d2733; }
  main { max-width: 420px; margin: 0 auto; background: #fff; border-radius: 16px; padding: 24px 16px;
         box-shadow: 0 2px 12px rgba(0,0,0,.08); }
  h1 { font-size: 1.25rem; margin: 0 0 4px; }
  #account { color: #5b6b7b; margin: 0 0 16px; }
  #qr { width: 240px; height: 240px; image-rendering: pixelated; border: 8px solid #fff; }
  #status { font-size: 1.05rem; margin: 16px 0 0; }
  #refused { background: #fff4e5; color: #8a4b00; border-radius: 8px; padding: 8px; }
  #reason { color: #5b6b7b; font-size: .9rem; }
  body[data-state="online"] #status { color: #1a7f37; font-weight: 600; }
  body[data-state="expired"] #status, body[data-state^="link_"] #status { color: #b42318; }
</style>
</head>
<body>
<main>
<h1>Log in the QQ bot</h1>
<p id="account"></p>
<p id="refused" hidden></p>
<img id="qr" alt="QR code to scan with the QQ app" hidden>
<p id="status">Loading…</p>
<p id="reason" hidden></p>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
