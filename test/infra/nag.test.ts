/**
 * cdk-nag (v3: a policy validation plugin, acknowledgments through `Validations.of().acknowledge`).
 * The stack has no finding left but the accepted ones, each accepted with a reason, and each
 * acknowledgment is still needed.
 */
import { App } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { readBotConfig } from '../../infra/config.ts';
import { ACCEPTED_FINDINGS } from '../../infra/nag-findings.ts';
import { defineApp, QQBotStack } from '../../infra/qq-bot-stack.ts';
import { synthesize, TEST_ACCOUNT } from './synth.ts';

function findings(stack: QQBotStack) {
  return new AwsSolutionsChecks().validateScope(stack).violations.map((v) => ({
    rule: v.ruleName,
    // cdk-nag names the construct, not the logical id.
    resources: v.violatingResources.map((r) => r.constructPath),
  }));
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing that is not acknowledged (errors and warnings alike)', () => {
    const { stack } = synthesize();
    expect(findings(stack)).toEqual([]);
  });

  it('finds nothing either with several shards and accounts (a rule per shard, one permission)', () => {
    const { stack } = synthesize({ context: { shards: '3', accounts: '20002,20003' } });
    expect(findings(stack)).toEqual([]);
  });

  it('finds nothing either with a OneBot bot (its secret accepted as the API token is)', () => {
    const { stack } = synthesize({ context: { onebotPostUrl: 'https://bot.example/onebot' } });
    expect(findings(stack)).toEqual([]);
  });

  it('runs at synth: a new finding fails it', () => {
    const app = new App({
      builtinCloudFormationValidation: false,
      context: { ...cdkJson.context, account: TEST_ACCOUNT, 'aws:cdk:bundling-stacks': [] },
    });
    const stack = defineApp(app);
    new sqs.Queue(stack, 'Plain');
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS[234]/);
  });

  it('accepts each finding with a written reason', () => {
    expect(ACCEPTED_FINDINGS.map((f) => f.id).sort()).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-L1',
      'AwsSolutions-SMG4',
    ]);
    for (const finding of ACCEPTED_FINDINGS) expect(finding.reason.length).toBeGreaterThan(80);
  });

  it('needs every acknowledgment: without them, exactly these findings come back', () => {
    const app = new App({
      context: { ...cdkJson.context, account: TEST_ACCOUNT, 'aws:cdk:bundling-stacks': [] },
    });
    const stack = new QQBotStack(app, 'Unacknowledged', {
      config: readBotConfig((key) => app.node.tryGetContext(key)),
    });
    const rules = new Set(findings(stack).map((f) => f.rule));
    expect([...rules].sort()).toEqual(ACCEPTED_FINDINGS.map((f) => f.id).sort());
  });

  it('needs the OneBot secret acknowledged: unrotated, it is the other SMG4 finding', () => {
    const app = new App({
      context: {
        ...cdkJson.context,
        account: TEST_ACCOUNT,
        onebotPostUrl: 'https://bot.example/onebot',
        'aws:cdk:bundling-stacks': [],
      },
    });
    const stack = new QQBotStack(app, 'Unacknowledged', {
      config: readBotConfig((key) => app.node.tryGetContext(key)),
    });
    const secrets = [stack.sendApi.token, stack.inbound.onebotSecret].map(
      (secret) => secret?.node.defaultChild?.node.path,
    );
    const smg4 = findings(stack).filter((f) => f.rule === 'AwsSolutions-SMG4');
    expect(smg4.flatMap((f) => f.resources).sort()).toEqual(secrets.sort());
  });
});
