/**
 * Faults on demand (docs/protocol.md §7): the next `count` calls of an endpoint (its last path segment)
 * answer a retcode, an HTTP error, late, not at all, with broken JSON, or (poll2) with the last
 * delivered event once more. Consumed one per call, first added first used.
 */
import {
  booleanAt,
  intAt,
  type JsonObject,
  objectAt,
  onlyKeys,
  optional,
  SimulatorInputError,
  stringAt,
} from './input.ts';

export type FaultAction =
  | { readonly kind: 'retcode'; readonly retcode: number; readonly p?: string; readonly delivered?: boolean }
  | { readonly kind: 'http'; readonly status: number }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'reset' }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'redeliver' };

/** A fault as the control API takes and shows it. */
export interface FaultSpec {
  endpoint: string;
  count?: number;
  retcode?: number;
  /** With retcode 116: the new ptwebqq (random when absent). */
  p?: string;
  /** With retcode 1202 on a send: the message was delivered anyway. */
  delivered?: boolean;
  http?: number;
  delayMs?: number;
  reset?: true;
  malformed?: true;
  redeliver?: true;
}

export interface FaultView extends FaultSpec {
  remaining: number;
}

interface Fault {
  readonly endpoint: string;
  remaining: number;
  readonly action: FaultAction;
}

const KINDS = ['retcode', 'http', 'delayMs', 'reset', 'malformed', 'redeliver'] as const;
const SEND_ENDPOINTS = ['send_buddy_msg2', 'send_qun_msg2', 'send_discu_msg2'];

export class FaultBook {
  private faults: Fault[] = [];

  constructor(private readonly endpoints: readonly string[]) {}

  /** Validates and adds one fault (`{...}`) or several (`{"faults":[...]}`); returns what was added. */
  add(raw: unknown): FaultView[] {
    const input = objectAt(raw, 'fault');
    const list = 'faults' in input ? arrayOf(input.faults) : [input];
    const parsed = list.map((f, i) => this.parse(f, 'faults' in input ? `faults[${i}]` : ''));
    this.faults.push(...parsed);
    return parsed.map(view);
  }

  /** The fault for this call of `endpoint`, consumed. */
  take(endpoint: string): FaultAction | undefined {
    const fault = this.faults.find((f) => f.endpoint === endpoint);
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return fault.action;
  }

  list(): FaultView[] {
    return this.faults.map(view);
  }

  clear(): void {
    this.faults = [];
  }

  private parse(raw: unknown, field: string): Fault {
    const o = objectAt(raw, field || 'fault');
    onlyKeys(o, field, ['endpoint', 'count', 'p', 'delivered', ...KINDS]);
    const at = (key: string) => (field ? `${field}.${key}` : key);
    const endpoint = stringAt(o.endpoint, at('endpoint'));
    if (!this.endpoints.includes(endpoint)) {
      throw new SimulatorInputError(
        at('endpoint'),
        `unknown endpoint "${endpoint}" (one of ${this.endpoints.join(', ')})`,
      );
    }
    const given = KINDS.filter((k) => o[k] !== undefined);
    if (given.length !== 1) {
      throw new SimulatorInputError(field || 'fault', `needs exactly one of ${KINDS.join(', ')}`);
    }
    const remaining = optional(o, 'count', field, (r, f) => intAt(r, f, 1, 1_000_000)) ?? 1;
    return { endpoint, remaining, action: parseAction(o, given[0] as (typeof KINDS)[number], endpoint, at) };
  }
}

function parseAction(
  o: JsonObject,
  kind: (typeof KINDS)[number],
  endpoint: string,
  at: (key: string) => string,
): FaultAction {
  const flag = (key: string) => {
    if (booleanAt(o[key], at(key)) !== true) throw new SimulatorInputError(at(key), 'must be true');
  };
  if (kind !== 'retcode' && (o.p !== undefined || o.delivered !== undefined)) {
    throw new SimulatorInputError(at(o.p !== undefined ? 'p' : 'delivered'), 'only goes with retcode');
  }
  switch (kind) {
    case 'retcode': {
      const retcode = intAt(o.retcode, at('retcode'), 0, 999_999);
      const p = optional(o, 'p', '', (r) => stringAt(r, at('p')));
      if (p !== undefined && retcode !== 116)
        throw new SimulatorInputError(at('p'), 'only goes with retcode 116');
      const delivered = optional(o, 'delivered', '', (r) => booleanAt(r, at('delivered')));
      if (delivered !== undefined && (retcode !== 1202 || !SEND_ENDPOINTS.includes(endpoint))) {
        throw new SimulatorInputError(at('delivered'), 'only goes with retcode 1202 on a send endpoint');
      }
      return { kind, retcode, ...(p !== undefined && { p }), ...(delivered !== undefined && { delivered }) };
    }
    case 'http':
      return { kind, status: intAt(o.http, at('http'), 400, 599) };
    case 'delayMs':
      return { kind: 'delay', ms: intAt(o.delayMs, at('delayMs'), 0, 600_000) };
    case 'redeliver':
      flag('redeliver');
      if (endpoint !== 'poll2')
        throw new SimulatorInputError(at('redeliver'), 'only goes with endpoint poll2');
      return { kind };
    default:
      flag(kind);
      return { kind };
  }
}

function arrayOf(raw: unknown): unknown[] {
  if (!Array.isArray(raw)) throw new SimulatorInputError('faults', 'must be an array');
  return raw;
}

function view(f: Fault): FaultView {
  const a = f.action;
  const base = { endpoint: f.endpoint, remaining: f.remaining };
  switch (a.kind) {
    case 'retcode':
      return {
        ...base,
        retcode: a.retcode,
        ...(a.p !== undefined && { p: a.p }),
        ...(a.delivered !== undefined && { delivered: a.delivered }),
      };
    case 'http':
      return { ...base, http: a.status };
    case 'delay':
      return { ...base, delayMs: a.ms };
    default:
      return { ...base, [a.kind]: true };
  }
}
