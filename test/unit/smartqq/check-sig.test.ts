/**
 * check_sig's URL comes in ptqrlogin's answer and is fetched with the cookie jar: only a check_sig
 * host (the real ones, or the configured ptlogin host such as the simulator's 127.0.0.1:PORT) gets
 * it. Anything else is a typed error naming the host, and no request (not even a DNS lookup) is made.
 */
import http from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmartQQApi } from '../../../lib/smartqq/api.ts';
import { isCheckSigUrl, REAL_HOSTS, realNamesOn, singleBaseHosts } from '../../../lib/smartqq/endpoints.ts';
import { SmartQQProtocolError } from '../../../lib/smartqq/errors.ts';
import { HttpClient } from '../../../lib/smartqq/http.ts';
import { completeLogin } from '../../../lib/smartqq/login.ts';

interface Seen {
  readonly server: 'ptlogin' | 'other';
  readonly host: string | undefined;
  readonly cookie: string | undefined;
}

const seen: Seen[] = [];
let ptlogin: http.Server;
let other: http.Server;
let ptloginPort: number;
let otherPort: number;
const lookups: string[] = [];

/** Resolves every name to 127.0.0.1, and keeps the names looked up. */
const lookup = ((hostname: string, options: unknown, callback?: unknown) => {
  lookups.push(hostname);
  const cb = (typeof options === 'function' ? options : callback) as (...args: unknown[]) => void;
  const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
  if (all) return cb(null, [{ address: '127.0.0.1', family: 4 }]);
  return cb(null, '127.0.0.1', 4);
}) as LookupFunction;

function listen(name: Seen['server']): Promise<[http.Server, number]> {
  const server = http.createServer((req, res) => {
    seen.push({ server: name, host: req.headers.host, cookie: req.headers.cookie });
    // Refused, so completeLogin stops right after check_sig.
    res.writeHead(403, { 'Content-Type': 'text/html' });
    res.end('no');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve([server, (server.address() as AddressInfo).port])),
  );
}

beforeAll(async () => {
  [ptlogin, ptloginPort] = await listen('ptlogin');
  [other, otherPort] = await listen('other');
});
afterAll(async () => {
  for (const server of [ptlogin, other]) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

/** An api on `hosts` whose jar holds a login's cookies for every host. */
async function apiOn(hosts: ReturnType<typeof singleBaseHosts>): Promise<SmartQQApi> {
  const client = new HttpClient({ lookup });
  for (const url of [`http://127.0.0.1:${ptloginPort}/`, `http://127.0.0.1:${otherPort}/`]) {
    await client.jar.setCookie('superkey=SECRET-SUPERKEY; Path=/', url);
  }
  await client.jar.setCookie('ptwebqq=SECRET-PTWEBQQ; Domain=qq.com; Path=/', 'http://ptlogin4.web2.qq.com/');
  return new SmartQQApi(client, hosts);
}

const query = '/check_sig?pttype=1&uin=20001&service=ptqrlogin&ptsigx=SECRET-PTSIGX';

describe('completeLogin and the check_sig URL', () => {
  it('fetches it, with the cookies, on the configured ptlogin host (the simulator on 127.0.0.1:PORT)', async () => {
    const api = await apiOn(singleBaseHosts(`http://127.0.0.1:${ptloginPort}`));
    seen.length = 0;
    await expect(completeLogin(api, `http://127.0.0.1:${ptloginPort}${query}`)).rejects.toThrow(
      /^check_sig: HTTP 403$/,
    );
    expect(seen).toEqual([
      { server: 'ptlogin', host: `127.0.0.1:${ptloginPort}`, cookie: 'superkey=SECRET-SUPERKEY' },
    ]);
    api.http.close();
  });

  it('fetches it on loopback at the ptlogin port, as the simulator hands it out to localhost:PORT', async () => {
    const api = await apiOn(singleBaseHosts(`http://localhost:${ptloginPort}`));
    seen.length = 0;
    await expect(completeLogin(api, `http://127.0.0.1:${ptloginPort}${query}`)).rejects.toThrow(
      /^check_sig: HTTP 403$/,
    );
    expect(seen.map((s) => s.server)).toEqual(['ptlogin']);
    api.http.close();
  });

  it('fetches it on a real check_sig host (here resolved to 127.0.0.1)', async () => {
    const api = await apiOn(realNamesOn('http', ptloginPort));
    seen.length = 0;
    await expect(completeLogin(api, `http://ptlogin4.web2.qq.com:${ptloginPort}${query}`)).rejects.toThrow(
      /^check_sig: HTTP 403$/,
    );
    expect(seen).toEqual([
      { server: 'ptlogin', host: `ptlogin4.web2.qq.com:${ptloginPort}`, cookie: 'ptwebqq=SECRET-PTWEBQQ' },
    ]);
    api.http.close();
  });

  it('refuses any other host with an error naming it, and sends it nothing', async () => {
    const api = await apiOn(singleBaseHosts(`http://127.0.0.1:${ptloginPort}`));
    seen.length = 0;
    lookups.length = 0;
    const refused: [string, string][] = [
      [`http://127.0.0.1:${otherPort}${query}`, `127.0.0.1:${otherPort}`],
      [`http://localhost:${otherPort}${query}`, `localhost:${otherPort}`],
      [`http://10.0.0.1:${ptloginPort}${query}`, `10.0.0.1:${ptloginPort}`],
      [`http://ptlogin4.web2.qq.com.evil.test${query}`, 'ptlogin4.web2.qq.com.evil.test'],
      [`http://ptlogin4.web2.qq.com@evil.test${query}`, 'evil.test'],
      [`http://evil.test/ptlogin4.web2.qq.com${query}`, 'evil.test'],
      [`http://web2.qq.com${query}`, 'web2.qq.com'],
      [`ftp://ptlogin4.web2.qq.com${query}`, 'ftp://ptlogin4.web2.qq.com'],
      ['file:///etc/passwd', 'file:'],
      ['javascript:alert(1)', 'javascript:'],
    ];
    for (const [url, host] of refused) {
      const login = completeLogin(api, url);
      await expect(login, url).rejects.toBeInstanceOf(SmartQQProtocolError);
      await expect(login, url).rejects.toThrow(
        `check_sig: the check_sig URL from ptqrlogin points at ${host}, not a check_sig host: not fetched`,
      );
      await expect(login).rejects.not.toThrow(/SECRET/);
    }
    await expect(completeLogin(api, 'not a url')).rejects.toThrow(
      /^check_sig: the check_sig URL from ptqrlogin is not a URL$/,
    );
    expect(seen).toEqual([]);
    expect(lookups).toEqual([]);
    api.http.close();
  });
});

describe('isCheckSigUrl', () => {
  it('takes the real check_sig hosts on http or https, whatever the port', () => {
    for (const url of [
      'http://ptlogin4.web2.qq.com/check_sig?x=1',
      'https://ptlogin2.web2.qq.com/check_sig',
      'http://ptlogin4.web2.qq.com:8080/check_sig',
    ]) {
      expect(isCheckSigUrl(new URL(url), REAL_HOSTS), url).toBe(true);
    }
  });

  it('takes the configured ptlogin host only with its port', () => {
    const hosts = singleBaseHosts('http://127.0.0.1:4000/');
    expect(isCheckSigUrl(new URL('http://127.0.0.1:4000/check_sig'), hosts)).toBe(true);
    expect(isCheckSigUrl(new URL('http://127.0.0.1:4001/check_sig'), hosts)).toBe(false);
    // On loopback the port decides, whatever the name.
    expect(isCheckSigUrl(new URL('http://localhost:4000/check_sig'), hosts)).toBe(true);
    expect(isCheckSigUrl(new URL('http://[::1]:4000/check_sig'), hosts)).toBe(true);
    expect(isCheckSigUrl(new URL('http://localhost/check_sig'), singleBaseHosts('http://127.0.0.1'))).toBe(
      true,
    );
    expect(isCheckSigUrl(new URL('http://localhost:4001/check_sig'), hosts)).toBe(false);
    expect(isCheckSigUrl(new URL('http://127.0.0.1.evil.test:4000/check_sig'), hosts)).toBe(false);
    expect(isCheckSigUrl(new URL('http://192.168.1.2:4000/check_sig'), hosts)).toBe(false);
    expect(isCheckSigUrl(new URL('https://ssl.ptlogin2.qq.com/check_sig'), REAL_HOSTS)).toBe(true);
    expect(isCheckSigUrl(new URL('https://s.web2.qq.com/check_sig'), REAL_HOSTS)).toBe(false);
    expect(isCheckSigUrl(new URL('http://127.0.0.1:4000/'), { ...hosts, ptlogin: 'not a url' })).toBe(false);
  });
});
