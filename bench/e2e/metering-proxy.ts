/**
 * A pass-through HTTP proxy in front of an AWS emulator that counts the calls the whole pipeline
 * makes (by `X-Amz-Target`), and for DynamoDB asks each call for `ReturnConsumedCapacity: TOTAL`
 * and adds up the read and write units: the calls and units per message of `npm run bench:e2e`,
 * measured on the real code paths without touching them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { addConsumedCapacity, CAPACITY_OPERATIONS, type Capacity } from '../../lib/state/call-meter.ts';

export interface Meter {
  readonly url: string;
  /** Calls by operation (`PutItem`, `SendMessageBatch`…). */
  readonly calls: Map<string, number>;
  readonly units: { read: number; write: number };
  reset(): void;
  close(): Promise<void>;
}

export async function startMeter(target: string): Promise<Meter> {
  const upstream = new URL(target);
  const calls = new Map<string, number>();
  const units = { read: 0, write: 0 };
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const targetHeader = String(req.headers['x-amz-target'] ?? '');
      const op = targetHeader.split('.').pop() || 'unknown';
      calls.set(op, (calls.get(op) ?? 0) + 1);
      let body = Buffer.concat(chunks);
      const dynamo = targetHeader.startsWith('DynamoDB_');
      if (dynamo && CAPACITY_OPERATIONS.has(op)) {
        const input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        input.ReturnConsumedCapacity ??= 'TOTAL';
        body = Buffer.from(JSON.stringify(input));
      }
      const headers = { ...req.headers, 'content-length': String(body.length) };
      const out = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
        (answer) => {
          const back: Buffer[] = [];
          answer.on('data', (c: Buffer) => back.push(c));
          answer.on('end', () => {
            const text = Buffer.concat(back);
            if (dynamo) addUnits(op, text.toString('utf8'), units);
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(text);
          });
        },
      );
      out.on('error', () => res.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    units,
    reset: () => {
      calls.clear();
      units.read = 0;
      units.write = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}

function addUnits(op: string, text: string, units: { read: number; write: number }): void {
  try {
    const { ConsumedCapacity } = JSON.parse(text) as { ConsumedCapacity?: Capacity | Capacity[] };
    addConsumedCapacity(op, ConsumedCapacity, units);
  } catch {
    // not JSON: nothing consumed to count
  }
}
