/**
 * The phone login page, end to end in a real browser (Debian's Chromium, driven by playwright-core,
 * in a phone-sized window): the owner asks the send API for a link, opens it without the API
 * token, and the page follows the QR login the poller runs against the simulator — scanned,
 * refused (another QQ account scanned it, a new QR comes), expired (a new QR comes), online. The
 * phone's side (scan, allow) is done through the simulator's control API.
 *
 * Set LOGIN_SCREENSHOT_DIR to keep the screenshots (the README's is one of them).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STATE_TEXT } from '../../lib/send-api/login-page.ts';
import demoWorld from '../../local/demo-world.json' with { type: 'json' };
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime/index.ts';
import { type Simulator, startSimulator } from '../../local/simulator/index.ts';
import { E2E_DEFAULTS } from './harness.ts';

/** The demo world: the owner of its second account (20002) scans the first one's QR by mistake. */
const WORLD = demoWorld;

let sim: Simulator;
let runtime: LocalRuntime;
let browser: Browser;
let page: Page;
const shots = process.env.LOGIN_SCREENSHOT_DIR ?? mkdtempSync(path.join(tmpdir(), 'login-page-'));

function chromiumPath(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      'Chromium is needed for the login page test: apt-get update && apt-get install -y chromium',
    );
  }
}

beforeAll(async () => {
  sim = await startSimulator({ world: WORLD, pollHoldMs: E2E_DEFAULTS.pollHoldMs });
  // Nobody scans by itself here: the test is the phone.
  const { autoScanAfterMs: _none, ...defaults } = E2E_DEFAULTS;
  runtime = await startLocalRuntime({ ...defaults, smartqqUrl: sim.url, account: '20001' });
  browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  const context = await browser.newContext({
    viewport: { width: 390, height: 760 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  page = await context.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.close();
  await sim?.close();
});

/** The page's state (`data-state` on its body), once it is `state`. */
async function pageShows(state: string, timeoutMs = 20_000): Promise<void> {
  await page.waitForSelector(`body[data-state="${state}"]`, { timeout: timeoutMs });
}

const qrSrc = () => page.getAttribute('#qr', 'src');

it('follows a QR login from a phone: scan, refused, expired, online', async () => {
  const answer = await fetch(`${runtime.sendApiUrl}/v1/accounts/20001/login`, {
    method: 'POST',
    headers: { authorization: `Bearer ${runtime.apiToken}` },
  });
  expect(answer.status).toBe(200);
  const { url } = (await answer.json()) as { url: string };
  expect(url.startsWith(`${runtime.sendApiUrl}/login/`)).toBe(true);
  expect(url).not.toContain(runtime.apiToken);

  await page.goto(url);
  await pageShows('scan');
  expect(await page.textContent('#status')).toBe(STATE_TEXT.scan);
  expect(await page.textContent('#account')).toBe('QQ 20001');
  expect(await page.isVisible('#qr')).toBe(true);
  const firstQr = await qrSrc();
  expect(firstQr).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, 'login-page.png') });
  expect(readFileSync(path.join(shots, 'login-page.png')).subarray(1, 4).toString()).toBe('PNG');

  // Scanned with another QQ account and confirmed there: refused, and a new QR to scan.
  sim.qr('scan');
  await pageShows('scanned');
  expect(await page.textContent('#status')).toBe(STATE_TEXT.scanned);
  sim.qr('allow', 20002);
  await page.waitForSelector('#refused:not([hidden])', { timeout: 20_000 });
  expect(await page.textContent('#refused')).toContain('QQ 20002, not with QQ 20001');
  await pageShows('scan');
  const secondQr = await qrSrc();
  expect(secondQr).not.toBe(firstQr);
  // Turned down before check_sig: the bot made no session of the other account.
  expect(sim.state().accounts.find((a) => a.qq === 20002)?.online).toBe(false);

  // Expired before anyone scanned it: the poller fetches a new one, the page shows it.
  sim.qr('expire');
  await expect.poll(qrSrc, { timeout: 20_000, interval: 200 }).not.toBe(secondQr);
  await pageShows('scan');

  // The right account scans and confirms: online, the QR gone.
  sim.qr('scan');
  sim.qr('allow', 20001);
  await pageShows('online', 30_000);
  expect(await page.textContent('#status')).toBe(STATE_TEXT.online);
  expect(await page.isVisible('#qr')).toBe(false);
  await page.screenshot({ path: path.join(shots, 'login-page-online.png') });
  expect((await runtime.sessions.get('20001'))?.state).toBe('online');
}, 120_000);

it('tells the phone when the link is not valid, and shows no QR', async () => {
  const answer = await fetch(`${runtime.sendApiUrl}/login/not-a-link`);
  expect(answer.status).toBe(404);
  await page.goto(`${runtime.sendApiUrl}/login/not-a-link`);
  await pageShows('link_malformed');
  expect(await page.textContent('#status')).toMatch(/not valid: ask for a new one/);
  expect(await page.isVisible('#qr')).toBe(false);
}, 30_000);
