/**
 * Who speaks in which chat of the demo world (`demo-world.json`): 4 friends, 2 groups and a
 * discussion, several members in each. The load of `npm run chaos` and `npm run bench:e2e`.
 */
import type { MessageInput } from './simulator/index.ts';

export const DEMO_SPEAKERS: readonly Omit<MessageInput, 'text'>[] = [
  { type: 'friend', from: 10001 },
  { type: 'friend', from: 10002 },
  { type: 'friend', from: 10003 },
  { type: 'friend', from: 10004 },
  { type: 'group', group: 'Hiking Club', from: 10001 },
  { type: 'group', group: 'Hiking Club', from: 10002 },
  { type: 'group', group: 'Hiking Club', from: 10003 },
  { type: 'group', group: 'Tea & Code', from: 10002 },
  { type: 'group', group: 'Tea & Code', from: 10004 },
  { type: 'discussion', discussion: 'Weekend plans', from: 10001 },
  { type: 'discussion', discussion: 'Weekend plans', from: 10002 },
  { type: 'discussion', discussion: 'Weekend plans', from: 10003 },
];
