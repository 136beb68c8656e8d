/**
 * Synthesises the app as `cdk synth` does (cdk.json's context, its feature flags included, and the
 * cdk-nag checks) into a temporary cloud assembly. Test files synthesise once (beforeAll).
 *
 * For speed, by default without bundling (the template is the same but for the code's asset hash)
 * and without CDK's built-in CloudFormation validation (`npm run synth` runs it, and
 * scripts/check-template.sh cfn-lint). `bundle: true` runs esbuild for the three functions.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { defineApp } from '../../infra/qq-bot-stack.ts';

export const TEST_ACCOUNT = '20001';

export interface SynthOptions {
  readonly context?: Record<string, unknown>;
  readonly bundle?: boolean;
}

export function synthesize(options: SynthOptions = {}) {
  const outdir = mkdtempSync(path.join(tmpdir(), 'qqbot-cdk-'));
  const app = new App({
    outdir,
    builtinCloudFormationValidation: false,
    context: {
      ...cdkJson.context,
      account: TEST_ACCOUNT,
      // As the CLI does: resources name their asset folder (`aws:asset:path`).
      'aws:cdk:enable-asset-metadata': true,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
  });
  const stack = defineApp(app);
  const template = Template.fromStack(stack);
  return { app, stack, template, outdir };
}

export type Synthesized = ReturnType<typeof synthesize>;

/** The resources of one type, by logical id. */
export function resourcesOf(template: Template, type: string): Record<string, CfnResource> {
  return template.findResources(type) as Record<string, CfnResource>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DependsOn?: string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/** The logical id and the resource of a construct (its default child: a function, a table, ...). */
export function resourceOf(synth: Synthesized, construct: IConstruct): [string, CfnResource] {
  const id = synth.stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const resource = synth.template.toJSON().Resources[id] as CfnResource | undefined;
  if (!resource) throw new Error(`no resource ${id} for ${construct.node.path}`);
  return [id, resource];
}

/** The one resource of a type whose construct path ends with `pathEnd` (…/Poller/Handler/Function). */
export function resourceAt(template: Template, type: string, pathEnd: string): [string, CfnResource] {
  const found = Object.entries(resourcesOf(template, type)).filter(([, r]) =>
    String(r.Metadata?.['aws:cdk:path'] ?? '').endsWith(`/${pathEnd}/Resource`),
  );
  if (found.length !== 1) throw new Error(`${found.length} ${type} at …/${pathEnd}`);
  return found[0] as [string, CfnResource];
}
