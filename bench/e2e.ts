/**
 * `npm run bench:e2e [-- --quick]`: the floor (bench/e2e/floor.ts) and the whole local pipeline
 * (poller → SQS FIFO → consumer → SmartQQ, on the embedded DynamoDB and SQS) answering the same
 * load on the simulator, one after the other in one run: 100 messages at 10/s, 300 at 100/s and a
 * burst of 1,000, over friends, groups and a discussion. Prints latency (p50/p90/p99/max, an HDR
 * histogram), throughput, answered and answered twice side by side with the ratios; the DynamoDB
 * and SQS calls and units per message (counted by proxies in front of the emulators) and the cost
 * they make (bench/README.md); and writes bench/e2e-latency.svg.
 *
 * Both run without send pacing and without the circuit breaker (the floor has neither): this
 * measures the pipeline's own cost, not the pace the owner chose.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import demoWorld from '../local/demo-world.json' with { type: 'json' };
import { startLocalRuntime } from '../local/runtime/index.ts';
import { startSimulator } from '../local/simulator/index.ts';
import { startAwsProcess } from './e2e/aws-process.ts';
import { startFloorBot } from './e2e/floor.ts';
import { ACCOUNT, Answers, runScenario, type Scenario, type ScenarioResult } from './e2e/load.ts';
import {
  costPerMillion,
  formatComparison,
  latencySvg,
  type PipelineUsage,
  pollerPerAccountMonth,
} from './e2e/report.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean' } } });
const scale = values.quick ? 0.2 : 1;
const SCENARIOS: readonly Scenario[] = [
  { name: '10 msg/s', messages: Math.round(100 * scale), rate: 10 },
  { name: '100 msg/s', messages: Math.round(300 * scale), rate: 100 },
  { name: 'burst', messages: Math.round(1_000 * scale) },
];
const HOLD_MS = 30_000;
const CONSUMER_MEMORY_MB = 512;
const RULES = [
  {
    account: '*',
    id: 'bench-ack',
    chatTypes: ['friend', 'group', 'discussion'],
    match: 'regex',
    pattern: '^bench (\\S+)$',
    caseSensitive: true,
    replies: ['ack {$1}'],
  },
];

const progress = (label: string) => (done: number, total: number) => {
  const width = 30;
  const filled = Math.round((done / Math.max(1, total)) * width);
  process.stderr.write(
    `\r  ${label.padEnd(22)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}   `,
  );
  if (done >= total) process.stderr.write('\n');
};

// --- the floor ---
const floorAnswers = new Answers();
const floorSim = await startSimulator({
  world: demoWorld,
  pollHoldMs: HOLD_MS,
  autoScanAfterMs: 100,
  onSent: floorAnswers.onSent,
});
const floorBot = await startFloorBot(floorSim.url, HOLD_MS);
const floorResults: ScenarioResult[] = [];
/** The floor's CPU per answered message (its process: the simulator and the floor bot). */
const floorCpuMs: number[] = [];
for (const scenario of SCENARIOS) {
  const cpuBefore = process.cpuUsage();
  const result = await runScenario(floorSim, floorAnswers, scenario, progress(`floor ${scenario.name}`));
  const cpu = process.cpuUsage(cpuBefore);
  floorResults.push(result);
  floorCpuMs.push((cpu.user + cpu.system) / 1000 / Math.max(1, result.answered));
}
await floorBot.stop();
await floorSim.close();

// --- the pipeline ---
// DynamoDB and SQS in a process of their own: on AWS they do not share the consumer's CPU.
const aws = await startAwsProcess();
const answers = new Answers();
const sim = await startSimulator({
  world: demoWorld,
  pollHoldMs: HOLD_MS,
  autoScanAfterMs: 100,
  onSent: answers.onSent,
});
let consumerInvocations = 0;
let consumerBilledMs = 0;
const runtime = await startLocalRuntime({
  smartqqUrl: sim.url,
  account: String(ACCOUNT),
  rules: RULES,
  pollHoldMs: HOLD_MS,
  sendIntervalMs: 0,
  functionEnvironment: { CONVERSATION_REPLIES_PER_MINUTE: '0' },
  dynamodbEndpoint: aws.dynamodbEndpoint,
  sqsEndpoint: aws.sqsEndpoint,
  sqsWaitTimeSeconds: 20,
  handlerLogLevel: 'ERROR',
  log: () => {},
  onConsumerBatch: (report) => {
    consumerInvocations += 1;
    // Lambda bills each invocation's duration rounded up to the millisecond.
    consumerBilledMs += Math.ceil(report.invocation.durationMs);
  },
});
while (!sim.state().accounts[0]?.online) await new Promise((resolve) => setTimeout(resolve, 100));
// A few messages first: the consumer's cold start, the session read and the rules load are
// per container, not per message.
await runScenario(sim, answers, { name: 'warm-up', messages: 20, rate: 20 }, () => {});
const pipelineResults: ScenarioResult[] = [];
const usage: PipelineUsage[] = [];
for (const scenario of SCENARIOS) {
  await aws.reset();
  consumerInvocations = 0;
  consumerBilledMs = 0;
  const cpuBefore = process.cpuUsage();
  const result = await runScenario(sim, answers, scenario, progress(`pipeline ${scenario.name}`));
  const cpu = process.cpuUsage(cpuBefore);
  pipelineResults.push(result);
  usage.push({
    messages: Math.max(1, result.answered),
    ...(await aws.usage()),
    pipelineCpuMs: (cpu.user + cpu.system) / 1000,
    consumerInvocations,
    consumerBilledMs,
    consumerMemoryMb: CONSUMER_MEMORY_MB,
  });
}
await runtime.close();
await sim.close();
await aws.close();

// --- the report ---
const pairs = SCENARIOS.map((_, i) => ({
  floor: floorResults[i] as ScenarioResult,
  pipeline: pipelineResults[i] as ScenarioResult,
}));
const out: string[] = [
  '',
  `npm run bench:e2e${values.quick ? ' --quick' : ''} (${new Date().toISOString()})`,
  '',
];
for (const { floor, pipeline } of pairs) out.push(formatComparison(floor, pipeline), '');
out.push('  per answered message (pipeline), and the cost of a million answered messages (list prices):');
for (const [i, u] of usage.entries()) {
  const per = (n: number) => (n / u.messages).toFixed(2);
  const dynamoCalls = [...u.dynamoCalls].map(([k, v]) => `${k} ${per(v)}`).join(', ');
  const sqsCalls = [...u.sqsCalls].map(([k, v]) => `${k} ${per(v)}`).join(', ');
  const cost = costPerMillion(u);
  out.push(
    `    ${SCENARIOS[i]?.name}: DynamoDB ${per([...u.dynamoCalls.values()].reduce((a, b) => a + b, 0))} calls (${dynamoCalls}), ` +
      `${per(u.dynamoUnits.write)} WCU, ${per(u.dynamoUnits.read)} RCU; SQS ${per([...u.sqsCalls.values()].reduce((a, b) => a + b, 0))} requests (${sqsCalls}); ` +
      `consumer ${per(u.consumerInvocations)} invocations, ${per(u.consumerBilledMs)} ms billed; ` +
      `CPU ${per(u.pipelineCpuMs)} ms in the pipeline's process (simulator included), ${per(u.emulatorCpuMs)} ms in the emulators' ` +
      `(the floor: ${floorCpuMs[i]?.toFixed(2)} ms, simulator included)`,
    `      cost per million: DynamoDB $${cost.dynamo.toFixed(2)} + SQS $${cost.sqs.toFixed(2)} + Lambda $${cost.lambda.toFixed(2)} = $${cost.total.toFixed(2)}`,
  );
}
out.push(
  `  poller per account-month (always in a long poll; lease renewed 6×/min): 128 MB $${pollerPerAccountMonth(128, 6).toFixed(2)}, 256 MB $${pollerPerAccountMonth(256, 6).toFixed(2)}`,
  '  latency chart: bench/e2e-latency.svg',
);
const svgPath = new URL('./e2e-latency.svg', import.meta.url);
writeFileSync(svgPath, latencySvg(pairs));
process.stdout.write(`${out.join('\n')}\n`);
process.exit(0);
