/**
 * Where the CLI finds the Rules table: named outright (`--table`, with `--endpoint` for an
 * emulator), the local runtime's (`--local`), or a deployed stack's (`--stack`).
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { LocalRuntimeFileError, readLocalRuntime } from '../state/runtime-file.ts';
import { UsageError } from './usage-error.ts';

/** The stack output that names the Rules table (the CDK stack declares it). */
export const RULES_TABLE_OUTPUT = 'RulesTableName';

export interface LocationFlags {
  readonly endpoint?: string | undefined;
  readonly table?: string | undefined;
  readonly region?: string | undefined;
  readonly local?: boolean | undefined;
  readonly stack?: string | undefined;
}

export interface TableLocation {
  readonly tableName: string;
  readonly endpoint?: string;
  readonly region?: string;
}

export type CloudFormationFactory = (region: string | undefined) => CloudFormationClient;

const defaultCloudFormation: CloudFormationFactory = (region) =>
  new CloudFormationClient(region ? { region } : {});

export async function resolveRulesTable(
  flags: LocationFlags,
  projectDir: string,
  cloudFormation: CloudFormationFactory = defaultCloudFormation,
): Promise<TableLocation> {
  const ways = [flags.table !== undefined, flags.local === true, flags.stack !== undefined].filter(
    Boolean,
  ).length;
  if (ways !== 1) {
    throw new UsageError(
      ways === 0
        ? 'say where the Rules table is: --table NAME [--endpoint URL], --local, or --stack NAME'
        : 'give only one of --table, --local and --stack',
    );
  }
  if (flags.endpoint !== undefined && flags.table === undefined) {
    throw new UsageError('--endpoint goes with --table NAME');
  }
  const region = flags.region ? { region: flags.region } : {};
  if (flags.table !== undefined) {
    if (flags.endpoint !== undefined && !URL.canParse(flags.endpoint)) {
      throw new UsageError(`--endpoint ${flags.endpoint} is not a URL (like http://127.0.0.1:8000)`);
    }
    return {
      tableName: flags.table,
      ...(flags.endpoint === undefined ? {} : { endpoint: flags.endpoint }),
      ...region,
    };
  }
  if (flags.local) {
    try {
      const info = readLocalRuntime(projectDir);
      return {
        tableName: info.tables.rules,
        endpoint: info.dynamodbEndpoint,
        ...(info.region ? { region: info.region } : region),
      };
    } catch (err) {
      if (err instanceof LocalRuntimeFileError) throw new UsageError(`--local: ${err.message}`);
      throw err;
    }
  }
  return stackTable(flags.stack ?? '', flags.region, cloudFormation);
}

async function stackTable(
  stackName: string,
  regionFlag: string | undefined,
  cloudFormation: CloudFormationFactory,
): Promise<TableLocation> {
  const client = cloudFormation(regionFlag);
  try {
    const region = await client.config.region();
    let outputs: { OutputKey?: string | undefined; OutputValue?: string | undefined }[];
    try {
      const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
      outputs = Stacks?.[0]?.Outputs ?? [];
    } catch (err) {
      // DescribeStacks answers a missing stack with a ValidationError "Stack with id X does not exist".
      if (err instanceof Error && err.name === 'ValidationError' && /does not exist/.test(err.message)) {
        throw new UsageError(`--stack: no stack ${stackName} in ${region}`);
      }
      throw err;
    }
    const tableName = outputs.find((o) => o.OutputKey === RULES_TABLE_OUTPUT)?.OutputValue;
    if (!tableName) {
      const keys = outputs.map((o) => o.OutputKey).join(', ') || 'none';
      throw new UsageError(
        `--stack: stack ${stackName} has no output ${RULES_TABLE_OUTPUT} (outputs: ${keys})`,
      );
    }
    return { tableName, region };
  } finally {
    client.destroy();
  }
}
