/**
 * The ids of one session (docs/protocol.md §3: uin, gid and did are not stable, they change between
 * logins). Every login2 draws fresh random 32-bit numbers, none equal to the previous session's.
 * One uin per person for the whole session (friend list, group and discussion members alike).
 */
import { randomId } from './tokens.ts';
import type { Account, Discussion, Group } from './world.ts';

export interface GroupIds {
  readonly gid: number;
  readonly code: number;
}

export class ContactIds {
  /** The account's own uin inside groups and discussions (listed in their member lists). */
  readonly selfMemberUin: number;
  /**
   * The send_uin of the echo of the account's own group/discussion sends, as the real server sent
   * it: a number in no member list, random but fixed for the session (docs/protocol.md §4, §7).
   */
  readonly echoUin: number;
  private readonly uinByQq = new Map<number, number>();
  private readonly qqByUin = new Map<number, number>();
  private readonly groupIds = new Map<Group, GroupIds>();
  private readonly groupByNumber = new Map<number, { group: Group; isGid: boolean }>();
  private readonly dids = new Map<Discussion, number>();
  private readonly discussionByDid = new Map<number, Discussion>();

  constructor(
    private readonly account: Account,
    previous?: ContactIds,
  ) {
    const taken = new Set<number>([account.qq, ...(previous?.allIds() ?? [])]);
    const draw = () => {
      const id = randomId(taken);
      taken.add(id);
      return id;
    };
    this.selfMemberUin = draw();
    this.echoUin = draw();
    const people = [
      ...account.friends.map((f) => f.qq),
      ...account.groups.flatMap((g) => g.members.map((m) => m.qq)),
      ...account.discussions.flatMap((d) => d.members),
    ];
    for (const qq of people) {
      if (qq === account.qq || this.uinByQq.has(qq)) continue;
      const uin = draw();
      this.uinByQq.set(qq, uin);
      this.qqByUin.set(uin, qq);
    }
    for (const group of account.groups) {
      const ids = { gid: draw(), code: draw() };
      this.groupIds.set(group, ids);
      this.groupByNumber.set(ids.gid, { group, isGid: true });
      this.groupByNumber.set(ids.code, { group, isGid: false });
    }
    for (const d of account.discussions) {
      const did = draw();
      this.dids.set(d, did);
      this.discussionByDid.set(did, d);
    }
  }

  /** The session uin of a person (the account itself: its member uin). */
  uin(qq: number): number {
    if (qq === this.account.qq) return this.selfMemberUin;
    const uin = this.uinByQq.get(qq);
    if (uin === undefined) throw new Error(`no uin for ${qq}: not a contact of ${this.account.qq}`);
    return uin;
  }

  personByUin(uin: number): number | undefined {
    return uin === this.selfMemberUin ? this.account.qq : this.qqByUin.get(uin);
  }

  group(group: Group): GroupIds {
    return this.groupIds.get(group) as GroupIds;
  }

  groupByGid(gid: number): Group | undefined {
    const hit = this.groupByNumber.get(gid);
    return hit?.isGid ? hit.group : undefined;
  }

  groupByCode(code: number): Group | undefined {
    const hit = this.groupByNumber.get(code);
    return hit && !hit.isGid ? hit.group : undefined;
  }

  did(discussion: Discussion): number {
    return this.dids.get(discussion) as number;
  }

  discussion(did: number): Discussion | undefined {
    return this.discussionByDid.get(did);
  }

  private allIds(): number[] {
    return [
      this.selfMemberUin,
      this.echoUin,
      ...this.qqByUin.keys(),
      ...this.groupByNumber.keys(),
      ...this.discussionByDid.keys(),
    ];
  }
}
