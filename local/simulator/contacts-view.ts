/**
 * The contact and info answers (docs/protocol.md §3), shaped and keyed like the fixtures in
 * fixtures/smartqq/, for one session's ids. Names go out HTML-escaped as the real server sent them.
 */
import type { ContactIds } from './contact-ids.ts';
import type { AccountState } from './logins.ts';
import { escapeHtml as esc } from './wire-text.ts';
import type { Account, Discussion, Group, Person, Presence, World } from './world.ts';

const STAT: Readonly<Record<Presence, number>> = {
  online: 10,
  away: 30,
  busy: 50,
  silent: 70,
  callme: 60,
  offline: 20,
};

export function friendsResult(account: Account, ids: ContactIds, world: World): object {
  const friends = account.friends.map((f) => ({
    person: personOf(world, f.qq),
    friend: f,
    uin: ids.uin(f.qq),
  }));
  const categoryIndex = (name: string) => account.categories.indexOf(name) + 1;
  return {
    friends: friends.map(({ friend, uin }) => ({
      flag: categoryIndex(friend.category) * 4,
      uin,
      categories: categoryIndex(friend.category),
    })),
    marknames: friends
      .filter(({ friend }) => friend.markname !== undefined)
      .map(({ friend, uin }) => ({ uin, markname: esc(friend.markname as string), type: 0 })),
    categories: account.categories.map((name, i) => ({ index: i + 1, sort: i + 2, name: esc(name) })),
    vipinfo: friends.map(({ uin }) => ({ vip_level: 0, u: uin, is_vip: 0 })),
    info: friends.map(({ person, uin }) => ({
      face: person.face,
      flag: 8_388_608,
      nick: esc(person.nick),
      uin,
    })),
  };
}

export function groupsResult(account: Account, ids: ContactIds): object {
  return {
    gmasklist: [],
    gnamelist: account.groups.map((g) => ({ flag: 1_090_520_065, name: esc(g.name), ...ids.group(g) })),
    gmarklist: account.groups
      .filter((g) => g.markname !== undefined)
      .map((g) => ({ uin: ids.group(g).gid, markname: esc(g.markname as string) })),
  };
}

export function groupDetailResult(group: Group, ids: ContactIds, world: World): object {
  const members = group.members.map((m) => ({
    member: m,
    person: personOf(world, m.qq),
    uin: ids.uin(m.qq),
  }));
  const withCards = members.filter(({ member }) => member.card !== undefined);
  const { gid, code } = ids.group(group);
  return {
    stats: members
      .filter(({ person }) => person.status !== 'offline')
      .map(({ person, uin }) => ({ client_type: 1, uin, stat: STAT[person.status] })),
    minfo: members.map(({ person, uin }) => ({
      nick: esc(person.nick),
      province: '',
      gender: person.gender,
      uin,
      country: '',
      city: '',
    })),
    ginfo: {
      face: 0,
      memo: esc(group.memo),
      class: 25,
      fingermemo: '',
      code,
      createtime: 1_231_435_199,
      flag: 721_421_329,
      level: 0,
      name: esc(group.name),
      gid,
      owner: ids.uin(group.owner),
      members: members.map(({ member, uin }) => ({ muin: uin, mflag: member.qq === group.owner ? 1 : 0 })),
      option: 2,
    },
    // Absent, not empty, when nobody in the group set a card (docs/protocol.md §3).
    ...(withCards.length > 0 && {
      cards: withCards.map(({ member, uin }) => ({ muin: uin, card: esc(member.card as string) })),
    }),
    vipinfo: members.map(({ uin }) => ({ vip_level: 0, u: uin, is_vip: 0 })),
  };
}

export function discussionsResult(account: Account, ids: ContactIds): object {
  return { dnamelist: account.discussions.map((d) => ({ did: ids.did(d), name: esc(d.name) })) };
}

export function discussionDetailResult(d: Discussion, ids: ContactIds, world: World): object {
  const members = d.members.map((qq) => ({ person: personOf(world, qq), uin: ids.uin(qq) }));
  return {
    info: {
      did: ids.did(d),
      discu_name: esc(d.name),
      mem_list: members.map(({ uin }) => ({ mem_uin: uin, ruin: uin })),
    },
    mem_info: members.map(({ person, uin }) => ({ nick: esc(person.nick), uin })),
    mem_status: members
      .filter(({ person }) => person.status !== 'offline')
      .map(({ person, uin }) => ({ client_type: 7, status: person.status, uin })),
  };
}

/** get_self_info2 and get_friend_info2 share the profile shape of the fixtures. */
export function profileResult(person: Person, uin: number, account?: number): object {
  return {
    ...(account !== undefined && { account }),
    lnick: esc(person.lnick),
    face: person.face,
    birthday: { month: 1, year: 1990, day: 1 },
    occupation: '',
    phone: '',
    allow: 1,
    college: '',
    uin,
    constel: 0,
    blood: 0,
    homepage: '',
    stat: STAT[person.status],
    vip_info: 0,
    country: '',
    city: '',
    personal: '',
    nick: esc(person.nick),
    shengxiao: 0,
    email: '',
    province: '',
    gender: person.gender,
    mobile: '',
  };
}

export function onlineBuddiesResult(account: Account, ids: ContactIds, world: World): object[] {
  return account.friends
    .map((f) => personOf(world, f.qq))
    .filter((p) => p.status !== 'offline')
    .map((p) => ({ client_type: 1, status: p.status, uin: ids.uin(p.qq) }));
}

/** type 0 friend, 1 group (uin = gid), 2 discussion (uin = did); most recent first. */
export function recentResult(state: AccountState): object[] {
  const { account, ids } = state;
  return [...state.recent].reverse().flatMap((ref) => {
    if (ref.kind === 'friend') return [{ type: 0, uin: ids.uin(ref.qq) }];
    if (ref.kind === 'group') {
      const g = account.groups.find((x) => x.name === ref.name);
      return g ? [{ type: 1, uin: ids.group(g).gid }] : [];
    }
    const d = account.discussions.find((x) => x.name === ref.name);
    return d ? [{ type: 2, uin: ids.did(d) }] : [];
  });
}

function personOf(world: World, qq: number): Person {
  return world.person(qq) as Person;
}
