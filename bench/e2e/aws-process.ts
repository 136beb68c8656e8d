/**
 * The pipeline's AWS stand-ins for `npm run bench:e2e`, in a child process of their own: dynalite
 * and fauxqs, each behind its metering proxy (`metering-proxy.ts`). On AWS, DynamoDB and SQS do not
 * run on the consumer's CPU; in the bench's process they took most of it, so the bench would have
 * measured the emulators. Spoken to over the IPC channel of `fork`.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Meter } from './metering-proxy.ts';

export interface AwsUsage {
  readonly dynamoCalls: Map<string, number>;
  readonly dynamoUnits: { read: number; write: number };
  readonly sqsCalls: Map<string, number>;
  /** CPU time the emulators' process spent (user + system). */
  readonly emulatorCpuMs: number;
}

export interface AwsProcess {
  /** The metered endpoints: pass them to the SDK clients. */
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  /** The calls and units counted since the last reset. */
  usage(): Promise<AwsUsage>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

type Request = { id: number; op: 'usage' | 'reset' | 'close' };
type Reply = { id: number; usage?: SerializedUsage };
type SerializedUsage = {
  dynamoCalls: [string, number][];
  dynamoUnits: { read: number; write: number };
  sqsCalls: [string, number][];
  emulatorCpuMs: number;
};

const CHILD_FLAG = '--aws-child';

export async function startAwsProcess(): Promise<AwsProcess> {
  const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const endpoints = await new Promise<{ dynamodb: string; sqs: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { dynamodb: string; sqs: string }));
    child.once('exit', (code) => reject(new Error(`the AWS emulator process exited (${code})`)));
  });
  let next = 0;
  const pending = new Map<number, (reply: Reply) => void>();
  child.on('message', (m) => {
    const reply = m as Reply;
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  const ask = (op: Request['op']) =>
    new Promise<Reply>((resolve) => {
      const id = ++next;
      pending.set(id, resolve);
      child.send({ id, op } satisfies Request);
    });
  return {
    dynamodbEndpoint: endpoints.dynamodb,
    sqsEndpoint: endpoints.sqs,
    async usage() {
      const { usage } = await ask('usage');
      if (!usage) throw new Error('the AWS emulator process answered no usage');
      return {
        dynamoCalls: new Map(usage.dynamoCalls),
        dynamoUnits: usage.dynamoUnits,
        sqsCalls: new Map(usage.sqsCalls),
        emulatorCpuMs: usage.emulatorCpuMs,
      };
    },
    reset: async () => {
      await ask('reset');
    },
    async close() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await ask('close');
      await exited;
    },
  };
}

async function runChild(): Promise<void> {
  const { startDynamoEmulator, startSqsEmulator } = await import('../../local/runtime/emulators.ts');
  const { startMeter } = await import('./metering-proxy.ts');
  const dynamo = await startDynamoEmulator(0);
  const sqs = await startSqsEmulator(0);
  const dynamoMeter: Meter = await startMeter(dynamo.endpoint);
  const sqsMeter: Meter = await startMeter(sqs.endpoint);
  const send = (m: unknown) => process.send?.(m);
  let cpuSince = process.cpuUsage();
  process.on('message', async (m) => {
    const { id, op } = m as Request;
    if (op === 'reset') {
      dynamoMeter.reset();
      sqsMeter.reset();
      cpuSince = process.cpuUsage();
      send({ id });
    } else if (op === 'usage') {
      send({
        id,
        usage: {
          dynamoCalls: [...dynamoMeter.calls],
          dynamoUnits: { ...dynamoMeter.units },
          sqsCalls: [...sqsMeter.calls],
          emulatorCpuMs: cpuMs(process.cpuUsage(cpuSince)),
        } satisfies SerializedUsage,
      });
    } else {
      await Promise.all([dynamoMeter.close(), sqsMeter.close()]);
      await sqs.close();
      await dynamo.close();
      send({ id });
      process.disconnect();
      process.exit(0);
    }
  });
  send({ dynamodb: dynamoMeter.url, sqs: sqsMeter.url });
}

if (process.argv.includes(CHILD_FLAG)) await runChild();

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}
