import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseWorld, type Simulator, startSimulator } from '../../../local/simulator/index.ts';
import { CLIENT_ID, D_REFERER, login, poll, SimHttp, sleep, TEST_WORLD, UA } from './support.ts';

let sim: Simulator;
let http: SimHttp;

beforeAll(async () => {
  sim = await startSimulator({ world: TEST_WORLD, pollHoldMs: 300 });
});
afterAll(async () => {
  await sim.close();
});
afterEach(() => {
  http?.close();
  sim.clearFaults();
});

async function controlCall(method: string, path: string, body?: unknown) {
  const res = await fetch(`${sim.url}/_sim/${path}`, {
    method,
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('faults', () => {
  it('answers a retcode for the next `count` calls, then normally', async () => {
    http = new SimHttp(sim);
    const s = await login(http);
    sim.addFaults({ endpoint: 'getvfwebqq', retcode: 100003, count: 2 });
    const path = `/api/getvfwebqq?ptwebqq=${s.ptwebqq}&clientid=${CLIENT_ID}&psessionid=&t=0.1`;
    expect(await http.json(path)).toEqual({ retcode: 100003, errmsg: '' });
    expect(sim.faults()).toEqual([{ endpoint: 'getvfwebqq', remaining: 1, retcode: 100003 }]);
    expect(await http.json(path)).toEqual({ retcode: 100003, errmsg: '' });
    expect((await http.json(path)).retcode).toBe(0);
    expect(sim.counters().faultsApplied).toBeGreaterThanOrEqual(2);
  });

  it.each([404, 502, 504])('answers HTTP %i with an nginx page', async (status) => {
    http = new SimHttp(sim);
    const s = await login(http);
    sim.addFaults({ endpoint: 'poll2', http: status });
    const reply = await poll(http, s);
    expect(reply.status).toBe(status);
    expect(reply.body).toContain('<center>nginx</center>');
  });

  it('answers late with delayMs', async () => {
    http = new SimHttp(sim);
    await login(http);
    sim.addFaults({ endpoint: 'get_self_info2', delayMs: 150 });
    const started = Date.now();
    const self = await http.json('/api/get_self_info2?t=0.1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(self.retcode).toBe(0);
  });

  it('drops the connection with reset, and answers broken JSON with malformed', async () => {
    http = new SimHttp(sim);
    await login(http);
    sim.addFaults({
      faults: [
        { endpoint: 'get_self_info2', reset: true },
        { endpoint: 'get_self_info2', malformed: true },
      ],
    });
    await expect(http.get('/api/get_self_info2?t=0.1')).rejects.toThrow(/socket hang up|ECONNRESET/);
    const broken = await http.get('/api/get_self_info2?t=0.1');
    expect(broken.status).toBe(200);
    expect(() => JSON.parse(broken.body)).toThrow();
    expect((await http.json('/api/get_self_info2?t=0.1')).retcode).toBe(0);
  });

  it('validates faults, naming the field', async () => {
    expect(() => sim.addFaults({ endpoint: 'nope', retcode: 1 })).toThrow(/endpoint/);
    const both = await controlCall('POST', 'faults', { endpoint: 'poll2', retcode: 1, http: 404 });
    expect(both).toEqual({
      status: 400,
      json: expect.objectContaining({ error: 'bad_request', field: 'fault' }),
    });
    const redeliver = await controlCall('POST', 'faults', {
      faults: [{ endpoint: 'send_qun_msg2', redeliver: true }],
    });
    expect(redeliver.json.field).toBe('faults[0].redeliver');
    const typo = await controlCall('POST', 'faults', { endpoint: 'poll2', delay_ms: 5 });
    expect(typo.json.field).toBe('delay_ms');
    expect(sim.faults()).toEqual([]);
  });
});

describe('HTTP', () => {
  it('keeps a keep-alive connection usable after a 403 to a request with a body', async () => {
    const body = `r=${encodeURIComponent(JSON.stringify({ ptwebqq: '', clientid: CLIENT_ID, psessionid: 'x', key: '' }))}`;
    const first =
      `POST /channel/poll2 HTTP/1.1\r\nHost: d1.web2.qq.com\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const second = `GET /cgi-bin/login HTTP/1.1\r\nHost: ui.ptlogin2.qq.com\r\nUser-Agent: ${UA}\r\nReferer: ${D_REFERER}\r\n\r\n`;
    const socket = connect(sim.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    // The body arrives in a separate packet, after the headers: the server must still read it all.
    socket.write(first.slice(0, first.indexOf('\r\n\r\n') + 4));
    await sleep(30);
    socket.write(body + second);
    await sleep(200);
    socket.destroy();
    const text = Buffer.concat(chunks).toString('utf8');
    const statuses = [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => m[1]);
    expect(statuses).toEqual(['403', '200']);
    expect(text).toContain('QQ帐号安全登录');
  });

  it('answers 404 to an unknown path, and never a stack trace', async () => {
    const reply = await fetch(`${sim.url}/channel/unknown_call`);
    expect(reply.status).toBe(404);
    expect(await reply.text()).not.toMatch(/at \w+ \(/);
  });
});

describe('control API over HTTP', () => {
  it('reports state and settings, and changes settings', async () => {
    const state = await controlCall('GET', 'state');
    expect(state.status).toBe(200);
    expect((state.json.accounts as unknown[]).length).toBe(2);
    expect(state.json.settings).toMatchObject({ eraPreset: '2017-10', echoSendUin: 'virtual' });
    const preset = await controlCall('POST', 'settings', { era: '2015', pollHoldMs: 250 });
    expect(preset.json).toMatchObject({
      eraPreset: '2015',
      era: { emptyPoll: '504', sendOk: 'errCode', echo: false },
      pollHoldMs: 250,
    });
    const detail = await controlCall('POST', 'settings', { era: { emptyPoll: '102' } });
    expect(detail.json).toMatchObject({ eraPreset: null, era: { emptyPoll: '102', sendOk: 'errCode' } });
    const badName = await controlCall('POST', 'settings', { era: '2016' });
    expect(badName).toEqual({ status: 400, json: expect.objectContaining({ field: 'era' }) });
    const bad = await controlCall('POST', 'settings', { era: { emptyPoll: '503' } });
    expect(bad).toEqual({ status: 400, json: expect.objectContaining({ field: 'era.emptyPoll' }) });
    sim.updateSettings({ era: '2017-10', pollHoldMs: 300 });
    expect(sim.settings().eraPreset).toBe('2017-10');
  });

  it('injects messages and answers 404 for an unknown contact, 409 when offline, 400 for bad input', async () => {
    const offline = await controlCall('POST', 'messages', {
      type: 'friend',
      from: 'Alice',
      text: 'hi',
      account: 20002,
    });
    expect(offline).toEqual({ status: 409, json: expect.objectContaining({ error: 'account_offline' }) });
    http = new SimHttp(sim);
    const s = await login(http);
    const ok = await controlCall('POST', 'messages', { type: 'friend', from: 'Ali', text: 'hi' });
    expect(ok.json).toMatchObject({ queued: true, msgId: expect.any(Number), key: expect.any(String) });
    const unknown = await controlCall('POST', 'messages', {
      type: 'group',
      group: 'Quiet',
      from: 'Alice',
      text: 'hi',
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json.reason).toContain('Alice');
    const badType = await controlCall('POST', 'messages', { type: 'dm', from: 'Alice', text: 'hi' });
    expect(badType.json).toMatchObject({ error: 'bad_request', field: 'type' });
    const badJson = await controlCall('POST', 'messages', '{oops');
    expect(badJson).toEqual({ status: 400, json: expect.objectContaining({ error: 'bad_json' }) });
    const batch = await controlCall('POST', 'messages', {
      messages: [
        { type: 'friend', from: 'Carol', text: 'a' },
        { type: 'discussion', discussion: 'Weekend', from: 'Carol', text: 'b' },
      ],
    });
    expect(batch.json).toHaveLength(2);
    const reply = JSON.parse((await poll(http, s)).body);
    expect(reply.result).toHaveLength(3);
  });

  it('reads and clears what was sent, reads counters, kicks and expires', async () => {
    http = new SimHttp(sim);
    const s = await login(http);
    const to = sim.contacts(20001).friends[1]?.uin;
    await http.post('/channel/send_buddy_msg2', {
      to,
      content: JSON.stringify([
        'hello',
        ['font', { name: '宋体', size: 10, style: [0, 0, 0], color: '000000' }],
      ]),
      face: 0,
      clientid: CLIENT_ID,
      msg_id: 5,
      psessionid: s.psessionid,
    });
    const sent = await controlCall('GET', 'sent');
    expect(sent.json).toEqual([expect.objectContaining({ text: 'hello', to: { name: 'Bob & Co', id: to } })]);
    expect((await controlCall('DELETE', 'sent')).status).toBe(200);
    expect((await controlCall('GET', 'sent')).json).toEqual([]);
    const counters = await controlCall('GET', 'counters');
    expect(Object.keys(counters.json)).toEqual(
      expect.arrayContaining([
        'eventsInjected',
        'eventsDelivered',
        'eventsLost',
        'duplicatesDelivered',
        'eventsQueued',
        'polls',
        'pollsEmpty',
        'sends',
        'duplicateSends',
        'faultsApplied',
        'requests',
      ]),
    );
    expect((await controlCall('POST', 'kick', {})).json).toMatchObject({
      queued: true,
      pollType: 'kick_message',
    });
    expect((await controlCall('POST', 'expire-session', { account: 20001 })).json).toEqual({ expired: true });
    expect((await controlCall('POST', 'qr', { action: 'dance' })).json.field).toBe('action');
    expect((await controlCall('GET', 'nothing-here')).status).toBe(404);
    expect((await controlCall('PUT', 'state')).status).toBe(405);
  });
});

describe('world validation', () => {
  it('names the bad field', () => {
    expect(() => parseWorld({ people: [], accounts: [] })).toThrow(
      'world.accounts: needs at least one account',
    );
    expect(() =>
      parseWorld({
        people: [{ qq: 10001, nick: 'A' }],
        accounts: [{ qq: 20001, nick: 'B', friends: [{ qq: 10009 }] }],
      }),
    ).toThrow('world.accounts[0].friends[0].qq: unknown person 10009');
    expect(() =>
      parseWorld({
        people: [{ qq: 10001, nick: 'A' }],
        accounts: [{ qq: 20001, nick: 'B', groups: [{ name: 'G', members: [10001], owner: 10002 }] }],
      }),
    ).toThrow('world.accounts[0].groups[0].owner');
  });

  it('loads the shipped demo world', async () => {
    const { loadWorldFile } = await import('../../../local/simulator/index.ts');
    const world = await loadWorldFile(new URL('../../../local/demo-world.json', import.meta.url).pathname);
    const account = world.accounts[0];
    expect(account?.groups.every((g) => g.members.some((m) => m.qq === account.qq))).toBe(true);
    expect(account?.groups.some((g) => g.members.every((m) => m.card === undefined))).toBe(true);
    expect(account?.groups.some((g) => g.members.some((m) => m.card !== undefined))).toBe(true);
    expect(world.people.some((p) => p.nick.includes('&'))).toBe(true);
  });
});
