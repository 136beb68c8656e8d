import { afterEach, beforeEach, expect, it } from 'vitest';
import { createObservability, publishAccountMetrics } from '../../../functions/shared/observability.ts';
import { type CapturedOutput, captureOutput } from '../../support/capture-output.ts';

let output: CapturedOutput;
beforeEach(() => {
  output = captureOutput();
});
afterEach(() => output.stop());

it('says what concerns an account with its number, and counts it per account and for the alarms', async () => {
  const observability = createObservability('poller');
  const first = observability.forAccount('20001');
  const second = observability.forAccount('20002');
  expect(observability.forAccount('20001')).toBe(first);
  first.counts.count('session_needs_qr');
  second.counts.count('session_needs_qr', 2);
  observability.counts.count('poller_invocations');
  first.log.warn('a line about 20001');

  await publishAccountMetrics(observability).after?.({} as never);
  observability.metrics.publishStoredMetrics();

  const lines = output.json();
  expect(lines.find((l) => l.message === 'a line about 20001')).toMatchObject({
    account: '20001',
    service: 'poller',
  });
  const emf = lines.filter((l) => '_aws' in l);
  const dimensions = (l: Record<string, unknown>) =>
    (l._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0]?.Dimensions;
  // Per account: graphs by account.
  expect(emf.find((l) => l.account === '20001')).toMatchObject({ session_needs_qr: 1 });
  expect(emf.find((l) => l.account === '20002')).toMatchObject({ session_needs_qr: 2 });
  for (const l of emf.filter((l) => 'account' in l)) expect(dimensions(l)).toEqual([['service', 'account']]);
  // Without the account: what the alarms watch, whatever account it came from.
  const whole = emf.find((l) => !('account' in l));
  // Two data points in one record (EMF takes an array): the alarm's Sum is 3.
  expect(whole).toMatchObject({ session_needs_qr: [1, 2], poller_invocations: 1 });
  expect(dimensions(whole as Record<string, unknown>)).toEqual([['service']]);
});
