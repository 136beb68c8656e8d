/**
 * A pass-through HTTP proxy in front of an AWS emulator that counts the calls the whole pipeline
 * makes (by `X-Amz-Target`), and for DynamoDB asks each call for `ReturnConsumedCapacity: TOTAL`
 * and adds up the read and write units: the calls and units per message of `npm run bench:e2e`,
 * measured on the real code paths without touching them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Meter {
  readonly url: string;
  /** Calls by operation (`PutItem`, `SendMessageBatch`…). */
  readonly calls: Map<string, number>;
  readonly units: { read: number; write: number };
  reset(): void;
  close(): Promise<void>;
}

const WITH_CAPACITY = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
]);

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
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
      if (dynamo && WITH_CAPACITY.has(op)) {
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
  let consumed: Capacity | Capacity[] | undefined;
  try {
    consumed = (JSON.parse(text) as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
  } catch {
    return;
  }
  for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
    if (c.ReadCapacityUnits !== undefined || c.WriteCapacityUnits !== undefined) {
      units.read += c.ReadCapacityUnits ?? 0;
      units.write += c.WriteCapacityUnits ?? 0;
    } else if (/Get|Query|Scan/.test(op)) units.read += c.CapacityUnits ?? 0;
    else units.write += c.CapacityUnits ?? 0;
  }
}
