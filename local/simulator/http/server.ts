/**
 * The HTTP server: loopback only, keep-alive done right (every request body is read in full before
 * anything is answered, so the next request on the connection is never corrupted), a plain 500 and a
 * log line for unexpected errors (never a stack trace in an answer), and a close() that ends everything.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { Exchange } from './exchange.ts';

const MAX_BODY_BYTES = 1024 * 1024;
/** nginx's default: idle keep-alive connections outlive a client's pause between calls. */
const KEEP_ALIVE_MS = 75_000;

export interface HttpServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

/** How long close() lets clients read what was last written to them. */
const CLOSE_GRACE_MS = 200;

export async function startHttpServer(
  handle: (ex: Exchange) => void | Promise<void>,
  port: number,
  log: (line: string) => void,
): Promise<HttpServer> {
  const sockets = new Set<Socket>();
  const server = createServer({ keepAliveTimeout: KEEP_ALIVE_MS }, (req, res) => {
    readBody(req).then(
      async ({ body, tooLarge }) => {
        const ex = new Exchange(req, res, body);
        try {
          if (tooLarge) ex.nginx(413);
          else await handle(ex);
        } catch (err) {
          log(`error: ${req.method} ${ex.path}: ${(err as Error).message}`);
          if (res.headersSent) res.destroy();
          else ex.reply(500, 'text/plain; charset=utf-8', 'internal error\n');
        }
      },
      () => res.destroy(),
    );
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address !== null ? address.port : port;
  return {
    server,
    port: actualPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Ended rather than destroyed, so an answer just written still reaches its client; a client
        // that does not hang up is cut off shortly after.
        for (const socket of sockets) socket.end();
        setTimeout(() => {
          for (const socket of sockets) socket.destroy();
        }, CLOSE_GRACE_MS).unref();
      }),
  };
}

/** The whole body; past the cap it is still read (and dropped) so the connection stays usable. */
function readBody(req: IncomingMessage): Promise<{ body: string; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () =>
      resolve({ body: Buffer.concat(chunks).toString('utf8'), tooLarge: size > MAX_BODY_BYTES }),
    );
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('aborted')));
  });
}
