import { CookieJar } from 'tough-cookie';
import { describe, expect, it } from 'vitest';
import type { ApiCall, JsonAnswer, SmartQQApi } from '../../../lib/smartqq/api.ts';
import {
  getDiscussionDetail,
  getDiscussions,
  getFriends,
  getGroupDetail,
  getGroups,
  getSelfInfo,
} from '../../../lib/smartqq/contacts.ts';
import { Session } from '../../../lib/smartqq/session.ts';
import { fixtureJson } from '../../support/fixtures.ts';

/** An api stand-in answering each endpoint with its captured body. */
function apiAnswering(bodies: Record<string, JsonAnswer>, calls: ApiCall[] = []): SmartQQApi {
  return {
    json: async (call: ApiCall) => {
      calls.push(call);
      const body = bodies[call.endpoint];
      if (!body) throw new Error(`no fixture for ${call.endpoint}`);
      return body;
    },
  } as unknown as SmartQQApi;
}

const session = new Session(new CookieJar(), {
  ptwebqq: '72c68bf345063680ddbeb298f09f11b3a987d1bf8caaf200906592387f2eaf77',
  vfwebqq: 'vf',
  psessionid: 'ps',
  uin: 329395145,
  linkedAt: 0,
});

describe('contacts on the captured answers', () => {
  it('friends: nick, markname, category; the list is signed with hash(uin, ptwebqq)', async () => {
    const calls: ApiCall[] = [];
    const friends = await getFriends(
      apiAnswering({ get_user_friends2: fixtureJson('get_friends.txt') }, calls),
      session,
    );
    expect(friends).toEqual([{ uin: 41837138855, nick: '昵称', markname: '备注', category: '同学' }]);
    expect(calls[0]?.r).toEqual({ vfwebqq: 'vf', hash: '54565FE106645482' });
  });

  it('groups: gid and code kept apart, group marknames', async () => {
    const groups = await getGroups(
      apiAnswering({ get_group_name_list_mask2: fixtureJson('get_groups.txt') }),
      session,
    );
    expect(groups[0]).toEqual({ gid: 14611812014, code: 3157131718, name: '测试群', markname: '测试群备注' });
    expect(groups[1]).toEqual({ gid: 146118120142, code: 31571317182, name: '测试群2' });
  });

  it('group detail: members with cards', async () => {
    const api = apiAnswering({ get_group_info_ext2: fixtureJson('get_group_detail.txt') });
    const detail = await getGroupDetail(api, session, 591539174);
    expect(detail).toMatchObject({ gid: 2419762790, code: 591539174, name: '群名称', ownerUin: 3509557797 });
    expect(detail.members).toEqual([{ uin: 3623536468, nick: '昵称', card: '群名片' }]);
  });

  it('group detail without cards: members have none', async () => {
    const body = fixtureJson('get_group_detail.txt');
    const { cards: _cards, ...result } = body.result as Record<string, unknown>;
    const detail = await getGroupDetail(
      apiAnswering({ get_group_info_ext2: { ...body, result } }),
      session,
      1,
    );
    expect(detail.members).toEqual([{ uin: 3623536468, nick: '昵称' }]);
  });

  it('discussions, a discussion detail and self info', async () => {
    const api = apiAnswering({
      get_discus_list: fixtureJson('get_discusses.txt'),
      get_discu_info: fixtureJson('get_discuss_detail.txt'),
      get_self_info2: fixtureJson('get_current_user.txt'),
    });
    expect(await getDiscussions(api, session)).toEqual([
      { did: 167864331, name: '讨论组名' },
      { did: 1678643312, name: '讨论组名2' },
    ]);
    expect(await getDiscussionDetail(api, session, 236426547)).toEqual({
      did: 236426547,
      name: '啊啊啊啊',
      members: [{ uin: 3466696377, nick: 'Hey' }],
    });
    expect(await getSelfInfo(api)).toEqual({ uin: 1382902354, nick: 'ABCD', account: 1045538901 });
  });

  it('an answer missing a field is a typed error naming the endpoint and the path', async () => {
    const api = apiAnswering({
      get_user_friends2: { retcode: 0, result: { friends: [{ uin: 'x' }], info: [] } },
    });
    await expect(getFriends(api, session)).rejects.toMatchObject({
      name: 'SmartQQProtocolError',
      endpoint: 'get_user_friends2',
      message: expect.stringMatching(/^get_user_friends2: unexpected answer at result\.friends\.0\.uin/),
    });
  });

  it('names are unescaped and no-break spaces become spaces', async () => {
    const api = apiAnswering({
      get_discus_list: { retcode: 0, result: { dnamelist: [{ did: 1, name: 'Tea &amp; Code\u00a0Club' }] } },
    });
    expect(await getDiscussions(api, session)).toEqual([{ did: 1, name: 'Tea & Code Club' }]);
  });
});
