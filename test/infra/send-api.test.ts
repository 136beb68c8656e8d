import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_KEYS } from '../../functions/send/app.ts';
import { API_TOKEN_LENGTH, SEND_API_THROTTLE } from '../../infra/send-api.ts';
import { type CfnResource, resourcesOf, type Synthesized, synthesize } from './synth.ts';

let synth: Synthesized;
let apiId: string;

beforeAll(() => {
  synth = synthesize();
  apiId = id(synth.stack.sendApi.api);
});

function id(construct: { node: { defaultChild?: unknown } }): string {
  return synth.stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

describe('HTTP API', () => {
  it('is an HTTP API without CORS', () => {
    const apis = Object.values(resourcesOf(synth.template, 'AWS::ApiGatewayV2::Api'));
    expect(apis).toHaveLength(1);
    expect(apis[0]?.Properties.ProtocolType).toBe('HTTP');
    expect(apis[0]?.Properties.CorsConfiguration).toBeUndefined();
  });

  it('has exactly the routes the handler serves (ROUTE_KEYS), as the OpenAPI document lists them', () => {
    const routes = Object.values(resourcesOf(synth.template, 'AWS::ApiGatewayV2::Route'));
    const keys = routes.map((r) => r.Properties.RouteKey).sort();
    expect(keys).toEqual([...ROUTE_KEYS].sort());
    const document = JSON.parse(
      readFileSync(path.resolve(import.meta.dirname, '../../functions/send/openapi.json'), 'utf8'),
    ) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths).flatMap(([p, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(keys).toEqual(documented.sort());
  });

  it('sends every route to the send function, payload format 2.0', () => {
    const integrations = Object.entries(resourcesOf(synth.template, 'AWS::ApiGatewayV2::Integration'));
    expect(integrations).toHaveLength(1);
    const [integrationId, integration] = integrations[0] as [string, CfnResource];
    expect(integration.Properties).toMatchObject({
      ApiId: { Ref: apiId },
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [id(synth.stack.sendApi.handler.function), 'Arn'] },
    });
    for (const route of Object.values(resourcesOf(synth.template, 'AWS::ApiGatewayV2::Route'))) {
      expect(route.Properties.Target).toEqual({
        'Fn::Join': ['', ['integrations/', { Ref: integrationId }]],
      });
      // Authorization is the function's (bearer token): see infra/nag-findings.ts.
      expect(route.Properties.AuthorizationType).toBe('NONE');
    }
  });

  it('the default stage deploys itself, is throttled, and logs each request as JSON', () => {
    const [stageId, stage] = Object.entries(resourcesOf(synth.template, 'AWS::ApiGatewayV2::Stage'))[0] as [
      string,
      CfnResource,
    ];
    expect(stageId).toBe(id(synth.stack.sendApi.stage));
    expect(stage.Properties).toMatchObject({
      ApiId: { Ref: apiId },
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: SEND_API_THROTTLE.rateLimit,
        ThrottlingBurstLimit: SEND_API_THROTTLE.burstLimit,
      },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [id(synth.stack.sendApi.accessLogs), 'Arn'] } },
    });
    const settings = stage.Properties.AccessLogSettings as { Format: string };
    const format = JSON.parse(settings.Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    // No header is logged: the Authorization one must never reach a log.
    expect(settings.Format).not.toMatch(/header|authorization/i);
    synth.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('outputs the base URL: the endpoint the $default stage answers at (https://…amazonaws.com, no slash)', () => {
    synth.template.hasOutput('ApiUrl', { Value: { 'Fn::GetAtt': [apiId, 'ApiEndpoint'] } });
  });
});

describe('API token', () => {
  it('a secret generated at deploy: letters and digits, at least 32 of them', () => {
    const secrets = Object.values(resourcesOf(synth.template, 'AWS::SecretsManager::Secret'));
    expect(secrets).toHaveLength(1);
    expect(secrets[0]?.Properties.GenerateSecretString).toEqual({
      PasswordLength: API_TOKEN_LENGTH,
      ExcludePunctuation: true,
      IncludeSpace: false,
    });
    expect(API_TOKEN_LENGTH).toBeGreaterThanOrEqual(32);
    expect(secrets[0]?.Properties.SecretString).toBeUndefined();
  });

  it('its name is an output, for `aws secretsmanager get-secret-value`', () => {
    const secretId = id(synth.stack.sendApi.token);
    const output = synth.template.findOutputs('ApiTokenSecretName').ApiTokenSecretName as { Value: unknown };
    expect(JSON.stringify(output.Value)).toContain(`"Ref":"${secretId}"`);
  });
});
