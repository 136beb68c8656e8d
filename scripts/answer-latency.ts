/**
 * `npm run check:latency [-- --minutes N]`: is a message sent at any moment answered within 2 s
 * under `npm start`? Starts the real `npm start` (its defaults: the demo world chattering, the
 * default send pace, the poller handing over every two minutes), then for N minutes (default 5)
 * sends "ping" from a demo friend at a random moment every 8–16 s (with the demo's own chatter,
 * about what the default pace of one send per 3 s sustains), through the simulator's control API,
 * and times the bot's "pong" as the simulator receives it. Prints the distribution; exits 1 if
 * any answer took over 2 s or never came.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const GOAL_MS = 2_000;
const GIVE_UP_MS = 15_000;
/** Friends no demo line makes the bot answer "pong" to, so every "pong" to them is ours. */
const FRIENDS = [
  { from: 'Dana Lee', shownAs: 'Dana Lee' },
  { from: 'Bob & Co', shownAs: 'Bob & Co' },
  { from: '小明', shownAs: '明明' },
];

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '5' } } });
const minutes = Number(values.minutes);
if (!(minutes > 0)) {
  console.error(`--minutes must be a positive number, not ${JSON.stringify(values.minutes)}`);
  process.exit(2);
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'answer-latency-'));
const npm = spawn('npm', ['start', '--', '--data-dir', dataDir], {
  cwd: path.resolve(import.meta.dirname, '..'),
  detached: true,
  stdio: ['ignore', 'pipe', 'inherit'],
});
let output = '';
npm.stdout?.on('data', (chunk: Buffer) => {
  output += chunk.toString('utf8');
});

try {
  const simulator = await waitFor(() => output.match(/SmartQQ simulator +(http:\/\/127\.0\.0\.1:\d+)/)?.[1]);
  await waitFor(() => /^online as \d+$/m.test(output) || undefined);
  console.log(`npm start is online; sending a ping at a random moment every 8–16 s for ${minutes} min`);
  const latencies: number[] = [];
  let unanswered = 0;
  const end = Date.now() + minutes * 60_000;
  for (let i = 0; Date.now() < end; i++) {
    await sleep(8_000 + Math.random() * 8_000);
    const friend = FRIENDS[i % FRIENDS.length] as (typeof FRIENDS)[number];
    const before = await pongsTo(simulator, friend.shownAs);
    const sentAt = performance.now();
    await post(`${simulator}/_sim/messages`, { type: 'friend', from: friend.from, text: 'ping' });
    const answered = await waitFor(
      async () => ((await pongsTo(simulator, friend.shownAs)) > before ? true : undefined),
      GIVE_UP_MS,
    ).catch(() => false);
    if (answered) latencies.push(performance.now() - sentAt);
    else unanswered++;
    process.stdout.write(answered ? '.' : 'x');
  }
  report(latencies, unanswered);
  process.exitCode = unanswered === 0 && latencies.every((ms) => ms <= GOAL_MS) ? 0 : 1;
} finally {
  await stop(npm);
  rmSync(dataDir, { recursive: true, force: true });
}

async function pongsTo(simulator: string, name: string): Promise<number> {
  const sent = (await (await fetch(`${simulator}/_sim/sent`)).json()) as {
    to: { name: string; markname?: string };
    text: string;
  }[];
  return sent.filter((s) => (s.to.markname ?? s.to.name) === name && s.text === 'pong').length;
}

function report(latencies: number[], unanswered: number): void {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  const within = sorted.filter((ms) => ms <= GOAL_MS).length;
  const ms = (v: number) => `${Math.round(v)} ms`;
  console.log('\n');
  console.log(`| messages | answered | within 2 s | p50 | p90 | p99 | max |`);
  console.log(`|---|---|---|---|---|---|---|`);
  console.log(
    `| ${sorted.length + unanswered} | ${sorted.length} | ${within} | ${ms(at(0.5))} | ${ms(at(0.9))} | ${ms(at(0.99))} | ${ms(sorted.at(-1) ?? Number.NaN)} |`,
  );
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
}

async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out; npm start printed:\n${output}`);
    await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.on('close', resolve));
  process.kill(-child.pid, 'SIGINT');
  await exited;
}
