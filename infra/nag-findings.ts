/**
 * The cdk-nag AwsSolutions findings this stack accepts, each with its reason. Anything else fails
 * `cdk synth`; test/infra/nag.test.ts checks that this list is the whole of it.
 */
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { QQBotStack } from './qq-bot-stack.ts';

export interface AcceptedFinding {
  readonly id: string;
  readonly reason: string;
  /** Where it is accepted: the construct and everything under it. */
  readonly on: (stack: QQBotStack) => readonly IConstruct[];
}

export const ACCEPTED_FINDINGS: readonly AcceptedFinding[] = [
  {
    id: 'AwsSolutions-L1',
    reason:
      'Node.js 22.x on purpose: the bundles are built for it (esbuild target node22). A newer runtime ' +
      'comes with a change of that target and a test run on the new Node.js, not by itself at a deploy.',
    on: (stack) => [stack.poller.handler, stack.inbound.consumer, stack.sendApi.handler],
  },
  {
    id: 'AwsSolutions-APIG4',
    reason:
      'The send function authorizes every request itself: a bearer token kept in Secrets Manager, ' +
      'compared in constant time (lib/send-api/auth.ts); GET /v1/openapi.json is public on purpose ' +
      '(it holds no secret). A Lambda authorizer would repeat the same check in a second function.',
    on: (stack) => [stack.sendApi.api],
  },
  {
    id: 'AwsSolutions-SMG4',
    reason:
      "The API token is a static bearer token held by the owner's own HTTP clients, and the OneBot secret " +
      "a static value in the OneBot bot's configuration, which checks X-Signature with it: neither can " +
      'follow an automatic rotation. Each is rotated by hand: a new value in the secret and in its holders at once.',
    on: (stack) => [stack.sendApi.token, ...(stack.inbound.onebotSecret ? [stack.inbound.onebotSecret] : [])],
  },
];

export function acknowledgeFindings(stack: QQBotStack): void {
  for (const finding of ACCEPTED_FINDINGS) {
    for (const scope of finding.on(stack)) {
      Validations.of(scope).acknowledge({ id: finding.id, reason: finding.reason });
    }
  }
}
