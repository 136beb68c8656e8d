/**
 * Watches the account's session record (the poller writes it) and reports what a person at the
 * terminal needs: a new QR to scan, state changes with their reason, new contacts after a login.
 * Changes carry only those fields, never the session or the QR's cookies.
 */
import type { ContactsCache, SessionRecord, SessionState, SessionStore } from '../../lib/pipeline/ports.ts';

export type SessionChange =
  | { readonly kind: 'state'; readonly state: SessionState; readonly since: number; readonly reason?: string }
  | { readonly kind: 'qr'; readonly png: Buffer; readonly fetchedAt: number }
  | { readonly kind: 'contacts'; readonly contacts: ContactsCache };

export interface SessionWatchOptions {
  readonly sessions: Pick<SessionStore, 'get'>;
  readonly account: string;
  /** Default 1 s. */
  readonly intervalMs?: number;
  readonly onChange: (change: SessionChange) => void;
  readonly onError?: (err: Error) => void;
}

export interface SessionWatch {
  /** The state last seen (undefined before the poller first wrote the record). */
  readonly state: SessionState | undefined;
  close(): void;
}

export function watchSession(options: SessionWatchOptions): SessionWatch {
  let last: SessionRecord | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const check = async () => {
    try {
      const record = await options.sessions.get(options.account);
      if (closed || !record) return;
      for (const change of changesBetween(last, record)) options.onChange(change);
      last = record;
    } catch (err) {
      if (!closed) options.onError?.(err as Error);
    } finally {
      if (!closed) timer = setTimeout(() => void check(), options.intervalMs ?? 1_000);
    }
  };
  void check();

  return {
    get state() {
      return last?.state;
    },
    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}

function changesBetween(before: SessionRecord | undefined, after: SessionRecord): SessionChange[] {
  const changes: SessionChange[] = [];
  if (before?.state !== after.state || before.stateSince !== after.stateSince) {
    changes.push({
      kind: 'state',
      state: after.state,
      since: after.stateSince,
      ...(after.reason ? { reason: after.reason } : {}),
    });
  }
  if (after.state === 'scan_pending' && after.qr && after.qr.fetchedAt !== before?.qr?.fetchedAt) {
    changes.push({
      kind: 'qr',
      png: Buffer.from(after.qr.pngBase64, 'base64'),
      fetchedAt: after.qr.fetchedAt,
    });
  }
  if (after.contacts && after.contacts.fetchedAt !== before?.contacts?.fetchedAt) {
    changes.push({ kind: 'contacts', contacts: after.contacts });
  }
  return changes;
}
