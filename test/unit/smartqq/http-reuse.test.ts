/**
 * Keep-alive within a burst, a fresh connection after an idle time: a kept connection the server
 * (or a frozen Lambda sandbox) let go stale must never carry a send that would then fail as
 * "maybe sent".
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { HttpClient } from '../../../lib/smartqq/http.ts';

let server: http.Server;
let connections = 0;
let url = '';

beforeAll(async () => {
  server = http.createServer((_req, res) => res.end('{"retcode":0}'));
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

it('reuses one connection for calls close together, and opens a new one after 4 s idle', async () => {
  const client = new HttpClient();
  const call = () =>
    client.request({ endpoint: 'test', method: 'GET', url, referer: null, timeoutMs: 5_000 });
  let now = Date.now();
  const clock = vi.spyOn(Date, 'now').mockImplementation(() => now);
  try {
    for (let i = 0; i < 3; i++) expect((await call()).status).toBe(200);
    expect(connections).toBe(1);
    now += 4_001;
    expect((await call()).status).toBe(200);
    expect(connections).toBe(2);
  } finally {
    clock.mockRestore();
    client.close();
  }
});
