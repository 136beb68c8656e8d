/**
 * What `npm run bench:e2e` prints and writes: the side-by-side table of the floor and the pipeline
 * with their ratios, the cost model (bench/README.md), and an SVG of the latency distributions.
 */
import type { ScenarioResult } from './load.ts';

/** List prices, us-east-1, on demand (bench/README.md says where each comes from). */
export const PRICES = {
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  sqsFifoRequest: 0.5 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  /** Arm64 (the stack's architecture), per GB-second. */
  lambdaGbSecondArm: 0.0000133334,
} as const;

export interface PipelineUsage {
  readonly messages: number;
  readonly dynamoCalls: Map<string, number>;
  readonly dynamoUnits: { read: number; write: number };
  readonly sqsCalls: Map<string, number>;
  readonly consumerInvocations: number;
  readonly consumerBilledMs: number;
  readonly consumerMemoryMb: number;
  /** CPU spent during the load: the bench's own process (simulator, poller, consumer) and the emulators'. */
  readonly pipelineCpuMs: number;
  readonly emulatorCpuMs: number;
}

export interface CostPerMillion {
  readonly dynamo: number;
  readonly sqs: number;
  readonly lambda: number;
  readonly total: number;
}

export function costPerMillion(u: PipelineUsage): CostPerMillion {
  const per = (n: number) => (n / u.messages) * 1e6;
  const dynamo =
    per(u.dynamoUnits.write) * PRICES.dynamoWriteUnit + per(u.dynamoUnits.read) * PRICES.dynamoReadUnit;
  // Lambda's pollers receive for the consumer: one ReceiveMessage per batch handed over (their empty
  // long polls, a few per minute per poller, are left out; so are the emulator's, which wakes every
  // waiting receive for each message).
  const sqsRequests =
    [...u.sqsCalls].filter(([op]) => op !== 'ReceiveMessage').reduce((a, [, n]) => a + n, 0) +
    u.consumerInvocations;
  const sqs = per(sqsRequests) * PRICES.sqsFifoRequest;
  const gbSeconds = (u.consumerBilledMs / 1000) * (u.consumerMemoryMb / 1024);
  const lambda =
    per(u.consumerInvocations) * PRICES.lambdaRequest + per(gbSeconds) * PRICES.lambdaGbSecondArm;
  return { dynamo, sqs, lambda, total: dynamo + sqs + lambda };
}

/** The poller per account-month: always in a long poll, plus its lease renewals. */
export function pollerPerAccountMonth(memoryMb: number, leaseWritesPerMinute: number): number {
  const seconds = 30 * 24 * 3600;
  const compute = seconds * (memoryMb / 1024) * PRICES.lambdaGbSecondArm;
  const invocations = 30 * 24 * 60 * PRICES.lambdaRequest;
  const lease = leaseWritesPerMinute * 60 * 24 * 30 * PRICES.dynamoWriteUnit;
  return compute + invocations + lease;
}

const ms = (v: number) => `${v >= 100 ? Math.round(v) : v.toFixed(1)} ms`;

export function formatComparison(floor: ScenarioResult, pipeline: ScenarioResult): string {
  const f = floor.histogram;
  const p = pipeline.histogram;
  const rows: [string, string, string, string][] = [
    [
      'answered',
      `${floor.answered}/${floor.scenario.messages}`,
      `${pipeline.answered}/${pipeline.scenario.messages}`,
      '',
    ],
    ['answered twice', String(floor.answeredTwice), String(pipeline.answeredTwice), ''],
    [
      'throughput',
      `${floor.throughput.toFixed(1)} msg/s`,
      `${pipeline.throughput.toFixed(1)} msg/s`,
      ratio(pipeline.throughput, floor.throughput),
    ],
    ...(['50', '90', '99'] as const).map((q): [string, string, string, string] => [
      `p${q}`,
      ms(f.getValueAtPercentile(Number(q))),
      ms(p.getValueAtPercentile(Number(q))),
      ratio(p.getValueAtPercentile(Number(q)), f.getValueAtPercentile(Number(q))),
    ]),
    ['max', ms(f.maxValue), ms(p.maxValue), ratio(p.maxValue, f.maxValue)],
  ];
  const head = `  ${floor.scenario.name}`;
  const lines = rows.map(
    ([k, a, b, r]) => `    ${k.padEnd(16)}${a.padStart(16)}${b.padStart(16)}${r.padStart(10)}`,
  );
  return [
    head,
    `    ${''.padEnd(16)}${'floor'.padStart(16)}${'pipeline'.padStart(16)}${'ratio'.padStart(10)}`,
    ...lines,
  ].join('\n');
}

function ratio(a: number, b: number): string {
  return b > 0 ? `${(a / b).toFixed(2)}x` : '-';
}

/** Percentile curves (x: 0 … 99.9 on the "nines" scale, y: latency, log scale), one panel per scenario. */
export function latencySvg(pairs: readonly { floor: ScenarioResult; pipeline: ScenarioResult }[]): string {
  const panelW = 360;
  const panelH = 260;
  const pad = { left: 56, right: 12, top: 28, bottom: 40 };
  const width = pairs.length * panelW;
  const percentiles = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100];
  const nines = (q: number) => Math.min(3, -Math.log10(1 - Math.min(q, 99.9) / 100));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${panelH}" font-family="sans-serif" font-size="11">`,
    '<title>Reply latency by percentile: the floor and the pipeline, per load</title>',
    `<rect width="${width}" height="${panelH}" fill="white"/>`,
  ];
  pairs.forEach(({ floor, pipeline }, i) => {
    const x0 = i * panelW + pad.left;
    const w = panelW - pad.left - pad.right;
    const h = panelH - pad.top - pad.bottom;
    const all = [floor, pipeline].flatMap((r) => percentiles.map((q) => r.histogram.getValueAtPercentile(q)));
    const top = 10 ** Math.ceil(Math.log10(Math.max(10, ...all)));
    const y = (v: number) => pad.top + h - (Math.log10(Math.max(1, v)) / Math.log10(top)) * h;
    const x = (q: number) => x0 + (nines(q) / 3) * w;
    out.push(`<text x="${x0}" y="16" font-weight="bold">${escapeXml(floor.scenario.name)}</text>`);
    out.push(`<rect x="${x0}" y="${pad.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
    for (let v = 1; v <= top; v *= 10) {
      out.push(`<line x1="${x0}" x2="${x0 + w}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
      out.push(
        `<text x="${x0 - 4}" y="${y(v) + 4}" text-anchor="end">${v >= 1000 ? `${v / 1000} s` : `${v} ms`}</text>`,
      );
    }
    for (const q of [0, 90, 99, 99.9]) {
      out.push(`<text x="${x(q)}" y="${pad.top + h + 14}" text-anchor="middle">p${q}</text>`);
    }
    out.push(`<text x="${x0 + w / 2}" y="${panelH - 6}" text-anchor="middle">percentile</text>`);
    for (const [r, colour] of [
      [floor, '#1f77b4'],
      [pipeline, '#d62728'],
    ] as const) {
      const points = percentiles.map(
        (q) => `${x(q).toFixed(1)},${y(r.histogram.getValueAtPercentile(q)).toFixed(1)}`,
      );
      out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points.join(' ')}"/>`);
    }
    out.push(`<text x="${x0 + 6}" y="${pad.top + 14}" fill="#1f77b4">floor</text>`);
    out.push(`<text x="${x0 + 6}" y="${pad.top + 28}" fill="#d62728">pipeline</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
