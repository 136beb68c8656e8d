/**
 * `npm start`: the SmartQQ simulator with the demo world, and the SmartQQ client logged in to it
 * through the real QR flow, printing what arrives and answering friends with an acknowledgement.
 *
 * This is the laptop runtime until the serverless pipeline (poller, consumer, send API) lands;
 * then it will run those handlers instead of the loop below.
 *
 * Flags: --wait-scan (do not scan the QR automatically; use the control API), --port N,
 * --hold-ms N (poll hold), --quiet-demo (no demo chatter).
 */
import { parseArgs } from 'node:util';
import {
  type ContactBook,
  type PollEvent,
  renderQrForTerminal,
  SmartQQClient,
  singleBaseHosts,
} from '../lib/smartqq/index.ts';
import demoWorld from './demo-world.json' with { type: 'json' };
import { startSimulator } from './simulator/index.ts';

const { values: flags } = parseArgs({
  options: {
    'wait-scan': { type: 'boolean', default: false },
    'quiet-demo': { type: 'boolean', default: false },
    port: { type: 'string', default: '0' },
    'hold-ms': { type: 'string', default: '30000' },
  },
});
const holdMs = Number(flags['hold-ms']);

const sim = await startSimulator({
  world: demoWorld,
  port: Number(flags.port),
  pollHoldMs: holdMs,
  ...(flags['wait-scan'] ? {} : { autoScanAfterMs: 4_000 }),
});
console.log(`SmartQQ simulator on ${sim.url} (control API under ${sim.url}/_sim/)`);

const client = new SmartQQClient({
  hosts: singleBaseHosts(sim.url),
  pollLimits: { maxHoldMs: holdMs, marginMs: 5_000 },
});
let stopping = false;
/** Member names per group/discussion, fetched once per session (ids change with each login). */
const members = new Map<string, Map<number, string>>();
const chatter: NodeJS.Timeout[] = [];

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping…');
  for (const timer of chatter) clearInterval(timer);
  client.close();
  await sim.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

await client.loginWithQr({
  onQr: (qr) => {
    console.log('\nScan this QR code with the QQ app to log in:');
    console.log(renderQrForTerminal(qr.png));
    if (flags['wait-scan']) {
      console.log(
        `(simulator: curl -XPOST ${sim.url}/_sim/qr -d '{"action":"scan"}' then '{"action":"allow"}')`,
      );
    } else {
      console.log('(demo world: the QR is scanned and allowed automatically in a few seconds)');
    }
  },
  onStatus: (status) => {
    if (status.state === 'scanned') console.log('QR scanned: waiting for "allow" on the phone…');
  },
});
console.log(`logged in as ${client.session.tokens.uin}`);

let book = await client.loadContacts();
console.log(`friends: ${book.friends.map((f) => f.markname ?? f.nick).join(', ')}`);
console.log(`groups: ${book.groups.map((g) => g.name).join(', ')}`);
console.log(`discussions: ${book.discussions.map((d) => d.name).join(', ')}`);
if (!flags['quiet-demo']) startDemoChatter();

while (!stopping) {
  const outcome = await client.poll({ budgetMs: client.pollNeedsMs });
  switch (outcome.kind) {
    case 'events':
      for (const event of outcome.events) await show(event);
      break;
    case 'nothing_yet':
    case 'ptwebqq_rotated':
      break;
    case 'not_registered':
    case 'relink':
    case 'session_expired': {
      const relinked = await client.relink();
      console.log(`session: ${outcome.kind} → relink ${relinked.status}`);
      if (relinked.status === 'needs_qr') await stop();
      else {
        // ids change with each login: refresh everything that holds them.
        book = await client.loadContacts();
        members.clear();
      }
      break;
    }
    default:
      console.log(`poll: ${outcome.kind}`);
      await new Promise((r) => setTimeout(r, 2_000));
  }
}

async function show(event: PollEvent): Promise<void> {
  switch (event.kind) {
    case 'friend_message': {
      const name = nameOfFriend(book, event.fromUin);
      console.log(`[friend] ${name}: ${event.text}`);
      const result = await client.send({ kind: 'friend', uin: event.fromUin }, `收到 /微笑 ${event.text}`);
      console.log(`  ↳ ack to ${name}: ${result.status}`);
      return;
    }
    case 'group_message': {
      const group = book.groupByGid(event.gid);
      const sender = group
        ? await memberName(`g${group.gid}`, () => client.getGroupDetail(group.code), event.senderUin)
        : '';
      console.log(`[group ${group?.name ?? event.gid}] ${sender || event.senderUin}: ${event.text}`);
      return;
    }
    case 'discussion_message': {
      const discussion = book.discussionByDid(event.did);
      const sender = await memberName(
        `d${event.did}`,
        () => client.getDiscussionDetail(event.did),
        event.senderUin,
      );
      console.log(
        `[discussion ${discussion?.name ?? event.did}] ${sender || event.senderUin}: ${event.text}`,
      );
      return;
    }
    default:
      console.log(`[${event.kind}]`);
  }
}

/** A member's card or nick, from the group or discussion detail fetched once per session. */
async function memberName(
  key: string,
  fetchDetail: () => Promise<{ members: readonly { uin: number; nick: string; card?: string }[] }>,
  uin: number,
): Promise<string> {
  let names = members.get(key);
  if (!names) {
    const detail = await fetchDetail();
    names = new Map(detail.members.map((m) => [m.uin, m.card ?? m.nick]));
    members.set(key, names);
  }
  return names.get(uin) ?? '';
}

function nameOfFriend(contacts: ContactBook, uin: number): string {
  const friend = contacts.friendByUin(uin);
  return friend ? (friend.markname ?? friend.nick) : String(uin);
}

/** Demo contacts talking now and then, through the simulator's control API. */
function startDemoChatter(): void {
  const lines: unknown[][] = [
    ['你好'],
    [['face', 14], ' 在吗?'],
    ['weekend hike?'],
    ['ping'],
    ['明天见 ', ['face', 13]],
  ];
  const people = demoWorld.people as { qq: number; nick: string }[];
  const account = demoWorld.accounts[0] as unknown as {
    friends: { qq: number }[];
    groups: { name: string; members: { qq: number }[] }[];
  };
  let n = 0;
  const inject = (body: object) =>
    fetch(`${sim.url}/_sim/messages`, { method: 'POST', body: JSON.stringify(body) }).catch(() => undefined);
  chatter.push(
    setInterval(() => {
      const content = lines[n++ % lines.length];
      const friend = people.find((p) => p.qq === account.friends[n % account.friends.length]?.qq);
      if (n % 2 === 0 && friend) void inject({ type: 'friend', from: friend.nick, content });
      else {
        const group = account.groups[0];
        const member = people.find((p) => group?.members.some((m) => m.qq === p.qq));
        if (group && member) void inject({ type: 'group', group: group.name, from: member.nick, content });
      }
    }, 5_000),
  );
}
