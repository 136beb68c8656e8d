/**
 * A pass-through HTTP proxy between the bot and the simulator that notes which test messages each
 * poll2 answer carried, and their events, so that a message the server delivered but the bot never
 * answered can be named (the simulator counts deliveries, not which) and matched to the bot's records
 * of it (its event key). A bot connection that closes early closes the
 * simulator's side too, so the simulator still sees a client that went away.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isChatEvent } from '../../lib/pipeline/inbound-message.ts';
import { type PollEvent, parseEvent } from '../../lib/smartqq/poll.ts';

/** A chat message event, the kind the bot publishes (and computes its event key from). */
export type ChatEvent = Extract<
  PollEvent,
  { kind: 'friend_message' | 'group_message' | 'discussion_message' }
>;

/** One poll2 answer that carried a test message: when the tap saw it, and the event as the bot parses it. */
export interface Sighting {
  readonly at: number;
  /**
   * The message's event (msg_id, time, from_uin / group_code / did, send_uin), parsed by the bot's
   * own parser so that the run can compute the bot's event key from it; absent when the answer was
   * not readable JSON (the id was then found in its text).
   */
  readonly event?: ChatEvent;
}

export interface Delivery {
  /** The first time seen, and in how many poll2 answers. */
  at: number;
  times: number;
  readonly sightings: Sighting[];
}

export interface PollTap {
  readonly url: string;
  /** Test ids (`chaos <id>`) seen in poll2 answers. */
  readonly delivered: Map<string, Delivery>;
  /** kick_message events seen in poll2 answers. */
  readonly kicks: () => number;
  /**
   * The answer to each send of `ack <id>`, by id, in order: `sent`, `refused …` (nothing went
   * out, and the bot could know it) or `ambiguous …` (1202, 502/504, a reset, or the bot gone before
   * the answer: the bot cannot tell whether it went out, docs/protocol.md §4).
   */
  readonly sends: Map<string, string[]>;
  close(): Promise<void>;
}

export async function startPollTap(target: string): Promise<PollTap> {
  const upstream = new URL(target);
  const delivered = new Map<string, Delivery>();
  let self = () => upstream.host;
  const agent = new http.Agent({ keepAlive: true });
  const sends = new Map<string, string[]>();
  const server = http.createServer((req, res) => {
    const isSend = req.url?.startsWith('/channel/send_') === true;
    const requestChunks: Buffer[] = [];
    let answered = false;
    const noteSend = (verdict: string) => {
      if (!isSend || answered) return;
      answered = true;
      const id = /ack (c\d+)/.exec(decodeForm(Buffer.concat(requestChunks).toString('utf8')))?.[1];
      if (id) sends.set(id, [...(sends.get(id) ?? []), verdict]);
    };
    if (isSend) req.on('data', (c: Buffer) => requestChunks.push(c));
    const out = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          // The simulator names itself in some answers (ptqrlogin's check_sig URL, redirects): the
          // bot must keep talking to the tap.
          let body = Buffer.concat(chunks);
          const text = body.toString('utf8');
          if (req.url?.startsWith('/channel/poll2')) note(text);
          if (isSend) noteSend(sendVerdict(answer.statusCode ?? 0, text));
          else if (text.includes(upstream.host)) body = Buffer.from(text.replaceAll(upstream.host, self()));
          const headers = { ...answer.headers };
          if (typeof headers.location === 'string')
            headers.location = headers.location.replaceAll(upstream.host, self());
          delete headers['transfer-encoding'];
          headers['content-length'] = String(body.length);
          res.writeHead(answer.statusCode ?? 502, headers);
          res.end(body);
        });
        answer.on('error', () => {
          noteSend('ambiguous: connection reset');
          res.destroy();
        });
      },
    );
    out.on('error', () => {
      noteSend('ambiguous: connection reset');
      res.destroy();
    });
    // The bot gone before the answer: the simulator's side goes too.
    res.on('close', () => {
      if (res.writableFinished) return;
      noteSend('ambiguous: the bot went before the answer');
      out.destroy();
    });
    req.pipe(out);
  });
  let kicks = 0;
  const sighted = (id: string, event?: ChatEvent) => {
    const at = Date.now();
    const seen = delivered.get(id);
    const sighting = event ? { at, event } : { at };
    if (seen) {
      seen.times += 1;
      seen.sightings.push(sighting);
    } else delivered.set(id, { at, times: 1, sightings: [sighting] });
  };
  const note = (text: string) => {
    kicks += text.match(/"poll_type":"kick_message"/g)?.length ?? 0;
    const events = pollEvents(text);
    if (!events) {
      // Not JSON (a fault's body, say): the ids are still worth noting, without their events.
      for (const m of text.matchAll(/chaos (c\d+)/g)) sighted(m[1] as string);
      return;
    }
    for (const event of events) {
      if (!isChatEvent(event)) continue;
      const id = /chaos (c\d+)/.exec(event.text)?.[1];
      if (id) sighted(id, event);
    }
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  self = () => `127.0.0.1:${port}`;
  return {
    url: `http://127.0.0.1:${port}`,
    delivered,
    kicks: () => kicks,
    sends,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A poll2 answer's events as the bot parses them; undefined when the answer is not JSON. */
function pollEvents(text: string): PollEvent[] | undefined {
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    return undefined;
  }
  const result = (answer as { result?: unknown } | null)?.result;
  return Array.isArray(result) ? result.map(parseEvent) : [];
}

/** A form body `r=<JSON>` as text, so `ack <id>` can be found in it. */
function decodeForm(body: string): string {
  try {
    return new URLSearchParams(body).get('r') ?? body;
  } catch {
    return body;
  }
}

/** How a send's answer reads to a client (docs/protocol.md §1, §4, §5). */
function sendVerdict(status: number, text: string): string {
  if (status === 404) return 'refused: HTTP 404 (nginx, no backend took it)';
  if (status !== 200) return `ambiguous: HTTP ${status}`;
  try {
    const body = JSON.parse(text) as { retcode?: number; errCode?: number };
    if (body.errCode === 0 || body.retcode === 0 || body.retcode === 100100) return 'sent';
    if (body.retcode === 1202) return 'ambiguous: retcode 1202';
    return `refused: retcode ${body.retcode ?? '?'}`;
  } catch {
    return 'ambiguous: unreadable answer';
  }
}
