/**
 * Contacts (docs/protocol.md §3): friends, groups, group members and cards, discussions, self info.
 *
 * ids (uin, gid, did) change on every login, so callers resolve what a person names (a friend, a
 * group) against a fresh list by name or markname, and never keep ids across sessions.
 */
import { z } from 'zod';
import { okResult, type SmartQQApi, sessionQuery } from './api.ts';
import { normalizeReceivedText } from './content.ts';
import { CLIENT_ID } from './endpoints.ts';
import { friendListHash } from './hash.ts';
import type { Session } from './session.ts';

export interface Friend {
  readonly uin: number;
  readonly nick: string;
  readonly markname?: string;
  readonly category: string;
}

export interface Group {
  /** What poll2 reports as from_uin/group_code, and what sends go to. */
  readonly gid: number;
  /** Only for get_group_info_ext2 (a gid there gives retcode 6). */
  readonly code: number;
  readonly name: string;
  readonly markname?: string;
}

export interface Member {
  readonly uin: number;
  readonly nick: string;
  /** The member's group card (群名片), when set. */
  readonly card?: string;
}

export interface GroupDetail extends Group {
  readonly ownerUin: number;
  readonly members: readonly Member[];
}

export interface Discussion {
  readonly did: number;
  readonly name: string;
}

export interface DiscussionDetail extends Discussion {
  readonly members: readonly Member[];
}

export interface SelfInfo {
  readonly uin: number;
  readonly nick: string;
  readonly account?: number;
}

const friendsSchema = z.object({
  friends: z.array(z.object({ uin: z.number(), categories: z.number().optional() })),
  marknames: z.array(z.object({ uin: z.number(), markname: z.string() })).default([]),
  categories: z.array(z.object({ index: z.number(), name: z.string() })).default([]),
  info: z.array(z.object({ uin: z.number(), nick: z.string() })),
});

const groupsSchema = z.object({
  gnamelist: z.array(z.object({ gid: z.number(), code: z.number(), name: z.string() })),
  gmarklist: z.array(z.object({ uin: z.number(), markname: z.string() })).default([]),
});

const groupDetailSchema = z.object({
  ginfo: z.object({
    gid: z.number(),
    code: z.number(),
    name: z.string(),
    owner: z.number(),
    members: z.array(z.object({ muin: z.number() })),
  }),
  minfo: z.array(z.object({ uin: z.number(), nick: z.string() })),
  // Absent when nobody in the group has set a card.
  cards: z.array(z.object({ muin: z.number(), card: z.string() })).optional(),
});

const discussionsSchema = z.object({ dnamelist: z.array(z.object({ did: z.number(), name: z.string() })) });

const discussionDetailSchema = z.object({
  info: z.object({
    did: z.number(),
    discu_name: z.string(),
    mem_list: z.array(z.object({ mem_uin: z.number() })),
  }),
  mem_info: z.array(z.object({ uin: z.number(), nick: z.string() })),
});

const selfSchema = z.object({ uin: z.number(), nick: z.string(), account: z.number().optional() });

/** The friend and group lists are POSTs signed with `hash(uin, ptwebqq)`. */
async function hashedList<T>(api: SmartQQApi, session: Session, endpoint: string, schema: z.ZodType<T>) {
  const { vfwebqq, uin, ptwebqq } = session.tokens;
  const answer = await api.json({
    endpoint,
    role: 'sweb2',
    path: `/api/${endpoint}`,
    r: { vfwebqq, hash: friendListHash(uin, ptwebqq) },
  });
  return okResult(endpoint, answer, schema);
}

export async function getFriends(api: SmartQQApi, session: Session): Promise<Friend[]> {
  const result = await hashedList(api, session, 'get_user_friends2', friendsSchema);
  const nicks = new Map(result.info.map((i) => [i.uin, displayName(i.nick)]));
  const marks = new Map(result.marknames.map((m) => [m.uin, displayName(m.markname)]));
  // Category 0 ("我的好友") is implicit: the server does not list it.
  const categories = new Map<number, string>([[0, '我的好友']]);
  for (const c of result.categories) categories.set(c.index, displayName(c.name));
  return result.friends.map((f) => {
    const markname = marks.get(f.uin);
    return {
      uin: f.uin,
      nick: nicks.get(f.uin) ?? '',
      ...(markname ? { markname } : {}),
      category: categories.get(f.categories ?? 0) ?? '',
    };
  });
}

export async function getGroups(api: SmartQQApi, session: Session): Promise<Group[]> {
  const result = await hashedList(api, session, 'get_group_name_list_mask2', groupsSchema);
  const marks = new Map(result.gmarklist.map((m) => [m.uin, displayName(m.markname)]));
  return result.gnamelist.map((g) => {
    const markname = marks.get(g.gid);
    return { gid: g.gid, code: g.code, name: displayName(g.name), ...(markname ? { markname } : {}) };
  });
}

export async function getGroupDetail(api: SmartQQApi, session: Session, code: number): Promise<GroupDetail> {
  const answer = await api.json({
    endpoint: 'get_group_info_ext2',
    role: 'sweb2',
    path: '/api/get_group_info_ext2',
    query: { gcode: code, vfwebqq: session.tokens.vfwebqq },
  });
  const { ginfo, minfo, cards } = okResult('get_group_info_ext2', answer, groupDetailSchema);
  const nicks = new Map(minfo.map((m) => [m.uin, displayName(m.nick)]));
  const cardOf = new Map((cards ?? []).map((c) => [c.muin, displayName(c.card)]));
  return {
    gid: ginfo.gid,
    code: ginfo.code,
    name: displayName(ginfo.name),
    ownerUin: ginfo.owner,
    members: ginfo.members.map((m) => {
      const card = cardOf.get(m.muin);
      return { uin: m.muin, nick: nicks.get(m.muin) ?? '', ...(card ? { card } : {}) };
    }),
  };
}

export async function getDiscussions(api: SmartQQApi, session: Session): Promise<Discussion[]> {
  const { vfwebqq, psessionid } = session.tokens;
  const answer = await api.json({
    endpoint: 'get_discus_list',
    role: 'sweb2',
    path: '/api/get_discus_list',
    query: { clientid: CLIENT_ID, psessionid, vfwebqq },
  });
  const result = okResult('get_discus_list', answer, discussionsSchema);
  return result.dnamelist.map((d) => ({ did: d.did, name: displayName(d.name) }));
}

export async function getDiscussionDetail(
  api: SmartQQApi,
  session: Session,
  did: number,
): Promise<DiscussionDetail> {
  const { vfwebqq, psessionid } = session.tokens;
  const answer = await api.json({
    endpoint: 'get_discu_info',
    role: 'd1web2',
    path: '/channel/get_discu_info',
    query: { did, ...sessionQuery(vfwebqq, psessionid) },
  });
  const { info, mem_info } = okResult('get_discu_info', answer, discussionDetailSchema);
  const nicks = new Map(mem_info.map((m) => [m.uin, displayName(m.nick)]));
  return {
    did: info.did,
    name: displayName(info.discu_name),
    members: info.mem_list.map((m) => ({ uin: m.mem_uin, nick: nicks.get(m.mem_uin) ?? '' })),
  };
}

export async function getSelfInfo(api: SmartQQApi): Promise<SelfInfo> {
  const answer = await api.json({ endpoint: 'get_self_info2', role: 'sweb2', path: '/api/get_self_info2' });
  const self = okResult('get_self_info2', answer, selfSchema);
  return { uin: self.uin, nick: displayName(self.nick), ...(self.account ? { account: self.account } : {}) };
}

/** Names arrive HTML-escaped and with no-break spaces; people type them plain. */
export const displayName = normalizeReceivedText;

function nameKey(name: string): string {
  return displayName(name).trim().toLowerCase();
}

/** A contact list fetched in one go, with lookup by the names a person would type. */
export class ContactBook {
  constructor(
    readonly friends: readonly Friend[],
    readonly groups: readonly Group[],
    readonly discussions: readonly Discussion[],
  ) {}

  /** Friends whose markname or nick is `name` (case-insensitive); markname matches come first. */
  findFriends(name: string): Friend[] {
    const key = nameKey(name);
    const byMark = this.friends.filter((f) => f.markname !== undefined && nameKey(f.markname) === key);
    const byNick = this.friends.filter((f) => nameKey(f.nick) === key && !byMark.includes(f));
    return [...byMark, ...byNick];
  }

  findGroups(name: string): Group[] {
    const key = nameKey(name);
    return this.groups.filter((g) => nameKey(g.name) === key || (g.markname && nameKey(g.markname) === key));
  }

  findDiscussions(name: string): Discussion[] {
    const key = nameKey(name);
    return this.discussions.filter((d) => nameKey(d.name) === key);
  }

  friendByUin(uin: number): Friend | undefined {
    return this.friends.find((f) => f.uin === uin);
  }

  groupByGid(gid: number): Group | undefined {
    return this.groups.find((g) => g.gid === gid);
  }

  discussionByDid(did: number): Discussion | undefined {
    return this.discussions.find((d) => d.did === did);
  }
}

export async function loadContactBook(api: SmartQQApi, session: Session): Promise<ContactBook> {
  const friends = await getFriends(api, session);
  const groups = await getGroups(api, session);
  const discussions = await getDiscussions(api, session);
  return new ContactBook(friends, groups, discussions);
}
