/** The part of `cqhttp` (the CQHTTP/OneBot v11 Node SDK, JavaScript only) the OneBot test uses. */
declare module 'cqhttp' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface CQHttpOptions {
    readonly apiRoot?: string;
    readonly accessToken?: string;
    readonly secret?: string;
  }

  interface CQHttpBot {
    /** Calls an action; resolves with its `data`, rejects with `{status, retcode}` when it failed. */
    (action: string, params?: Record<string, unknown>): Promise<unknown>;
    readonly app: { callback(): (req: IncomingMessage, res: ServerResponse) => void };
    // biome-ignore lint/suspicious/noExplicitAny: the SDK hands events over as they were posted.
    on(postType: 'message' | 'notice' | 'request' | 'event', callback: (context: any) => unknown): unknown;
    listen(...args: unknown[]): void;
  }

  const CQHttp: new (options: CQHttpOptions) => CQHttpBot;
  export default CQHttp;
}
