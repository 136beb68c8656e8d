/**
 * Where the CLI finds the Rules table: named outright (`--table`, with `--endpoint` for an
 * emulator), the local runtime's (`--local`), or a deployed stack's (`--stack`). And, when it can
 * tell, the Sessions table next to it (only read, to warn about an account nobody has logged in).
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { LocalRuntimeFileError, readLocalRuntime } from '../state/runtime-file.ts';
import { UsageError } from './usage-error.ts';

/** The stack output that names the Rules table (the CDK stack declares it). */
export const RULES_TABLE_OUTPUT = 'RulesTableName';
/** The stack output that names the Sessions table (the CDK stack declares it by this key). */
export const SESSIONS_TABLE_OUTPUT = 'SessionsTableName';
/** The variable the functions read the Sessions table's name from; the CLI reads it with `--table`. */
export const SESSIONS_TABLE_ENV = 'SESSIONS_TABLE';

export interface LocationFlags {
  readonly endpoint?: string | undefined;
  readonly table?: string | undefined;
  readonly region?: string | undefined;
  readonly local?: boolean | undefined;
  /** With `--local`: the data folder `npm start -- --data-dir DIR` was given. */
  readonly 'data-dir'?: string | undefined;
  readonly stack?: string | undefined;
  readonly 'sessions-table'?: string | undefined;
}

export interface TableLocation {
  readonly tableName: string;
  readonly endpoint?: string;
  readonly region?: string;
}

export interface TableLocations {
  readonly rules: TableLocation;
  /** The Sessions table, on the same endpoint and region; undefined when it cannot be told. */
  readonly sessionsTable?: string;
  /** `--local`: the account the local runtime answers for, when its runtime file says. */
  readonly localAccount?: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

export type CloudFormationFactory = (region: string | undefined) => CloudFormationClient;

const defaultCloudFormation: CloudFormationFactory = (region) =>
  new CloudFormationClient(region ? { region } : {});

export async function resolveRulesTable(
  flags: LocationFlags,
  projectDir: string,
  cloudFormation: CloudFormationFactory = defaultCloudFormation,
): Promise<TableLocation> {
  return (await resolveTables(flags, projectDir, cloudFormation, {})).rules;
}

/**
 * The Rules table, and the Sessions table when known: `--sessions-table` (or `SESSIONS_TABLE`) with
 * `--table`, the runtime file's `tables.sessions` with `--local`, the stack's `SessionsTableName`.
 */
export async function resolveTables(
  flags: LocationFlags,
  projectDir: string,
  cloudFormation: CloudFormationFactory = defaultCloudFormation,
  env: Env = process.env,
): Promise<TableLocations> {
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
  if (flags['data-dir'] !== undefined && flags.local !== true) {
    throw new UsageError('--data-dir goes with --local (the data folder npm start was given)');
  }
  if (flags['sessions-table'] !== undefined && flags.table === undefined) {
    throw new UsageError('--sessions-table goes with --table NAME (--local and --stack know theirs)');
  }
  const region = flags.region ? { region: flags.region } : {};
  if (flags.table !== undefined) {
    if (flags.endpoint !== undefined && !URL.canParse(flags.endpoint)) {
      throw new UsageError(`--endpoint ${flags.endpoint} is not a URL (like http://127.0.0.1:8000)`);
    }
    const sessionsTable = flags['sessions-table'] || env[SESSIONS_TABLE_ENV] || undefined;
    return {
      rules: {
        tableName: flags.table,
        ...(flags.endpoint === undefined ? {} : { endpoint: flags.endpoint }),
        ...region,
      },
      ...(sessionsTable === undefined ? {} : { sessionsTable }),
    };
  }
  if (flags.local) {
    try {
      const info = readLocalRuntime(projectDir, flags['data-dir']);
      const account = info.account;
      return {
        rules: {
          tableName: info.tables.rules,
          endpoint: info.dynamodbEndpoint,
          ...(info.region ? { region: info.region } : region),
        },
        ...(info.tables.sessions === undefined ? {} : { sessionsTable: info.tables.sessions }),
        ...(typeof account === 'string' ? { localAccount: account } : {}),
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
): Promise<TableLocations> {
  const { region, outputs } = await stackOutputs(stackName, regionFlag, cloudFormation);
  const tableName = outputs.get(RULES_TABLE_OUTPUT);
  if (!tableName) {
    const keys = [...outputs.keys()].join(', ') || 'none';
    throw new UsageError(
      `--stack: stack ${stackName} has no output ${RULES_TABLE_OUTPUT} (outputs: ${keys})`,
    );
  }
  const sessionsTable = outputs.get(SESSIONS_TABLE_OUTPUT);
  return { rules: { tableName, region }, ...(sessionsTable ? { sessionsTable } : {}) };
}

/** A deployed stack's outputs by key, and its region; a missing stack is a UsageError naming it. */
export async function stackOutputs(
  stackName: string,
  regionFlag: string | undefined,
  cloudFormation: CloudFormationFactory = defaultCloudFormation,
): Promise<{ region: string; outputs: Map<string, string> }> {
  const client = cloudFormation(regionFlag);
  try {
    const region = await client.config.region();
    try {
      const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
      const outputs = new Map<string, string>();
      for (const o of Stacks?.[0]?.Outputs ?? []) {
        if (o.OutputKey && o.OutputValue !== undefined) outputs.set(o.OutputKey, o.OutputValue);
      }
      return { region, outputs };
    } catch (err) {
      // DescribeStacks answers a missing stack with a ValidationError "Stack with id X does not exist".
      if (err instanceof Error && err.name === 'ValidationError' && /does not exist/.test(err.message)) {
        throw new UsageError(`--stack: no stack ${stackName} in ${region}`);
      }
      throw err;
    }
  } finally {
    client.destroy();
  }
}
