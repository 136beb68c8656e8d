/**
 * A small `npm run chaos` (scripts/chaos/run.ts): `chaos <id>` messages from the demo world's
 * friends, groups and discussion while the simulator answers with faults and the bot (a child
 * process) is killed with SIGKILL and restarted.
 *
 * - With the faults after which the bot knows whether a reply went out, and no SIGKILL: every
 *   message the server did not drop at a new login is answered, none twice.
 * - With every fault and a SIGKILL: none is answered twice, and every message not answered is
 *   accounted for, each in one category of the table. Some are unanswered by design there (a send
 *   answered 502/504/reset, or a send the killed consumer had claimed, is uncertain and not resent:
 *   at most once; a poll answer that the SIGKILL took), so the categories are asserted to add up,
 *   and the unexplained count is printed, not asserted.
 */
import { expect, it } from 'vitest';
import { CERTAIN_FAULTS, formatReport, runChaos } from '../../scripts/chaos/run.ts';

const MESSAGES = 150;

it(`answers each of ${MESSAGES} messages once through the faults whose outcome the bot can know`, async () => {
  const report = await runChaos({
    messages: MESSAGES,
    rate: 15,
    faults: CERTAIN_FAULTS,
    faultEveryMs: [300, 1_200],
    killEveryMs: undefined,
    quietMs: 4_000,
    // A bound for a run on a busy machine (it takes 20–90 s), not a speed goal.
    timeLimitMs: 150_000,
    seed: 10,
  });
  const table = formatReport(report);
  expect(report.timedOut, table).toBe(false);
  expect(report.injected, table).toBe(MESSAGES);
  expect(report.lost, table).toBe(0);
  expect(report.answeredTwice, table).toBe(0);
  expect(report.counters.duplicateSends, table).toBe(0);
  expect(report.dlq, table).toEqual([]);
  expect(report.replyClaims.matched, table).toBe(report.replyClaims.total);
}, 180_000);

it(`answers none of ${MESSAGES} messages twice through every fault and a SIGKILL of the bot`, async () => {
  const report = await runChaos({
    messages: MESSAGES,
    rate: 10,
    faultEveryMs: [500, 1_500],
    // One kill during the 15 s of messages: the restarted poller waits out the dead one's lease
    // (30 s), and a batch the killed consumer held comes back after the visibility timeout (60 s).
    killEveryMs: [3_000, 8_000],
    maxKills: 1,
    quietMs: 4_000,
    timeLimitMs: 150_000,
    seed: 11,
  });
  const table = formatReport(report);
  process.stdout.write(`chaos, every fault and a SIGKILL:\n${table}\n`);
  expect(report.timedOut, table).toBe(false);
  expect(report.answeredTwice, table).toBe(0);
  expect(report.counters.duplicateSends, table).toBe(0);
  expect(report.counters.duplicatesDelivered, table).toBe(0);
  // Every message not answered is in exactly one category of the table.
  expect(report.deliveredUnreplied, table).toBe(
    report.claimedUnsent + report.killedBeforePublish + report.inDlq + report.unexplained,
  );
  expect(report.injected - report.replied, table).toBe(
    report.replyOutcomeUnknown +
      report.claimedUnsent +
      report.killedBeforePublish +
      report.inDlq +
      report.unexplained +
      report.droppedMessages +
      report.counters.eventsLost +
      report.unaccounted,
  );
  // The counters explain every message no poll2 answer carried (dropped at a new login, or in a
  // poll answer cut by the SIGKILL): nothing is missing outside what the tap saw.
  expect(report.unaccounted, table).toBe(0);
  expect(report.lost, table).toBe(report.unexplained);
  // The event keys the run computes are the bot's: its reply claims match the test messages.
  expect(report.replyClaims.matched, table).toBe(report.replyClaims.total);
}, 180_000);
