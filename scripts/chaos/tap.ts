/**
 * A pass-through HTTP proxy between the bot and the simulator that notes which test messages each
 * poll2 answer carried, so that a message the server delivered but the bot never answered can be
 * named (the simulator counts deliveries, not which). A bot connection that closes early closes the
 * simulator's side too, so the simulator still sees a client that went away.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PollTap {
  readonly url: string;
  /** Test ids (`chaos <id>`) seen in poll2 answers, with the time first seen and how many times. */
  readonly delivered: Map<string, { at: number; times: number }>;
  /** kick_message events seen in poll2 answers. */
  readonly kicks: () => number;
  close(): Promise<void>;
}

export async function startPollTap(target: string): Promise<PollTap> {
  const upstream = new URL(target);
  const delivered = new Map<string, { at: number; times: number }>();
  let self = () => upstream.host;
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
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
          else if (text.includes(upstream.host)) body = Buffer.from(text.replaceAll(upstream.host, self()));
          const headers = { ...answer.headers };
          if (typeof headers.location === 'string')
            headers.location = headers.location.replaceAll(upstream.host, self());
          delete headers['transfer-encoding'];
          headers['content-length'] = String(body.length);
          res.writeHead(answer.statusCode ?? 502, headers);
          res.end(body);
        });
        answer.on('error', () => res.destroy());
      },
    );
    out.on('error', () => res.destroy());
    // The bot gone before the answer: the simulator's side goes too.
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    req.pipe(out);
  });
  let kicks = 0;
  const note = (text: string) => {
    kicks += text.match(/"poll_type":"kick_message"/g)?.length ?? 0;
    for (const m of text.matchAll(/chaos (c\d+)/g)) {
      const id = m[1] as string;
      const seen = delivered.get(id);
      if (seen) seen.times += 1;
      else delivered.set(id, { at: Date.now(), times: 1 });
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
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
