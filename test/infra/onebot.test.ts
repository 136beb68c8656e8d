/**
 * A OneBot v11 bot (`-c onebotPostUrl=…`): the signing secret, the consumer's ONEBOT_* variables and
 * the outputs the bot's owner needs; without the URL, none of it. The consumer's exact grants are in
 * iam.test.ts, cdk-nag in nag.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_KEYS } from '../../functions/send/app.ts';
import { ONEBOT_API_PATH } from '../../infra/send-api.ts';
import { ENV } from '../../lib/config.ts';
import { type CfnResource, resourceOf, resourcesOf, type Synthesized, synthesize } from './synth.ts';

const POST_URL = 'https://bot.example/onebot';

let plain: Synthesized;
let onebot: Synthesized;

beforeAll(() => {
  plain = synthesize();
  onebot = synthesize({ context: { onebotPostUrl: POST_URL } });
});

const idOf = (synth: Synthesized, construct: { node: { defaultChild?: unknown } }) =>
  synth.stack.getLogicalId(construct.node.defaultChild as CfnElement);

function variablesOf(synth: Synthesized, fn: 'poller' | 'consumer' | 'send'): Record<string, unknown> {
  const { poller, inbound, sendApi } = synth.stack;
  const handler = { poller: poller.handler, consumer: inbound.consumer, send: sendApi.handler }[fn];
  const [, resource] = resourceOf(synth, handler.function);
  return (resource.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

function onebotSecretOf(synth: Synthesized): [string, CfnResource] {
  const secret = synth.stack.inbound.onebotSecret;
  if (!secret) throw new Error('no OneBot secret');
  return resourceOf(synth, secret);
}

/** The least length the consumer accepts for the signing secret: its `secretValue(…, N)`. */
function consumerMinimumSecretLength(): number {
  const source = readFileSync(
    path.resolve(import.meta.dirname, '../../functions/consumer/handler.ts'),
    'utf8',
  );
  const found = /secretValue\(\s*env\.ONEBOT_SECRET_ID\b[\s\S]*?,\s*(\d+)\s*\)/.exec(source)?.[1];
  if (!found) throw new Error('functions/consumer/handler.ts: no secretValue(env.ONEBOT_SECRET_ID, …, N)');
  return Number(found);
}

describe('with onebotPostUrl', () => {
  it('a signing secret generated at deploy exactly as the API token is, long enough for the consumer', () => {
    const [, secret] = onebotSecretOf(onebot);
    const [, token] = resourceOf(onebot, onebot.stack.sendApi.token);
    expect(Object.keys(resourcesOf(onebot.template, 'AWS::SecretsManager::Secret'))).toHaveLength(2);
    expect(secret.Properties.GenerateSecretString).toEqual(token.Properties.GenerateSecretString);
    expect(secret.Properties.GenerateSecretString).toEqual({
      PasswordLength: 40,
      ExcludePunctuation: true,
      IncludeSpace: false,
    });
    // The consumer refuses a shorter SecretString at its first post.
    expect(40).toBeGreaterThanOrEqual(consumerMinimumSecretLength());
    // Never in the template; goes with the stack, as the token does.
    expect(secret.Properties.SecretString).toBeUndefined();
    expect([secret.DeletionPolicy, secret.UpdateReplacePolicy]).toEqual(['Delete', 'Delete']);
    expect([token.DeletionPolicy, token.UpdateReplacePolicy]).toEqual(['Delete', 'Delete']);
  });

  it('the consumer: the URL, the defaults of mode and format, and the secret by its ARN, never its value', () => {
    const [secretId] = onebotSecretOf(onebot);
    const onebotVariables = Object.entries(variablesOf(onebot, 'consumer')).filter(([k]) =>
      k.startsWith('ONEBOT_'),
    );
    expect(Object.fromEntries(onebotVariables)).toEqual({
      ONEBOT_POST_URL: POST_URL,
      ONEBOT_MODE: 'rules_first',
      ONEBOT_POST_FORMAT: 'string',
      ONEBOT_SECRET_ID: { Ref: secretId },
    });
    // The functions' own defaults, written out rather than left to them.
    expect(ENV.ONEBOT_MODE.parse(undefined)).toBe('rules_first');
    expect(ENV.ONEBOT_POST_FORMAT.parse(undefined)).toBe('string');
  });

  it('the consumer: onebotMode and onebotPostFormat as given', () => {
    const given = synthesize({
      context: { onebotPostUrl: 'http://bot.example:8080/', onebotMode: 'both', onebotPostFormat: 'array' },
    });
    expect(variablesOf(given, 'consumer')).toMatchObject({
      ONEBOT_POST_URL: 'http://bot.example:8080/',
      ONEBOT_MODE: 'both',
      ONEBOT_POST_FORMAT: 'array',
    });
  });

  it('the poller and the send function get no ONEBOT_* variable', () => {
    for (const fn of ['poller', 'send'] as const) {
      expect(Object.keys(variablesOf(onebot, fn)).filter((k) => k.startsWith('ONEBOT_'))).toEqual([]);
    }
  });

  it('outputs the secret to give the bot and the OneBot API root of the send API', () => {
    const [secretId] = onebotSecretOf(onebot);
    const apiId = idOf(onebot, onebot.stack.sendApi.api);
    const outputs = onebot.template.findOutputs('*');
    expect(JSON.stringify(outputs.OneBotSecretName?.Value)).toContain(`"Ref":"${secretId}"`);
    expect(outputs.OneBotSecretName?.Description).toMatch(/OneBot secret \(X-Signature\)/);
    expect(outputs.OneBotApiRoot?.Value).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [apiId, 'ApiEndpoint'] }, '/onebot/v11/']],
    });
    // The root is where the send function serves the actions (ROUTE_KEYS).
    expect(ROUTE_KEYS).toEqual(
      expect.arrayContaining([`GET ${ONEBOT_API_PATH}{action}`, `POST ${ONEBOT_API_PATH}{action}`]),
    );
    expect(Object.keys(outputs).sort()).toEqual(
      [...Object.keys(plain.template.findOutputs('*')), 'OneBotApiRoot', 'OneBotSecretName'].sort(),
    );
  });

  it('changes nothing else: less the secret, its grant, the variables and the outputs, the same template', () => {
    const [secretId] = onebotSecretOf(onebot);
    const [consumerId] = resourceOf(onebot, onebot.stack.inbound.consumer.function);
    const [policyId] = resourceOf(onebot, onebot.stack.inbound.consumer.role.node.findChild('DefaultPolicy'));
    const template = structuredClone(onebot.template.toJSON());
    delete template.Resources[secretId];
    delete template.Outputs.OneBotSecretName;
    delete template.Outputs.OneBotApiRoot;
    const variables = template.Resources[consumerId].Properties.Environment.Variables;
    for (const key of Object.keys(variables)) if (key.startsWith('ONEBOT_')) delete variables[key];
    const document = template.Resources[policyId].Properties.PolicyDocument;
    const secretRead = {
      Action: 'secretsmanager:GetSecretValue',
      Effect: 'Allow',
      Resource: { Ref: secretId },
    };
    expect(document.Statement).toContainEqual(secretRead);
    document.Statement = document.Statement.filter(
      (s: unknown) => JSON.stringify(s) !== JSON.stringify(secretRead),
    );
    expect(template).toEqual(plain.template.toJSON());
  });
});

describe('without onebotPostUrl: the stack as before', () => {
  it('no OneBot secret: the API token is the only secret', () => {
    expect(plain.stack.inbound.onebotSecret).toBeUndefined();
    const secrets = Object.keys(resourcesOf(plain.template, 'AWS::SecretsManager::Secret'));
    expect(secrets).toEqual([idOf(plain, plain.stack.sendApi.token)]);
  });

  it('no ONEBOT_* variable in any function', () => {
    for (const fn of ['poller', 'consumer', 'send'] as const) {
      expect(Object.keys(variablesOf(plain, fn)).filter((k) => k.startsWith('ONEBOT_'))).toEqual([]);
    }
  });

  it('no OneBot output', () => {
    const outputs = Object.keys(plain.template.findOutputs('*'));
    expect(outputs).not.toContain('OneBotSecretName');
    expect(outputs).not.toContain('OneBotApiRoot');
  });
});
