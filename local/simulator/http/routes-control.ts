/**
 * The control API under `/_sim/`: JSON in, JSON out, no Referer needed. Input errors answer 400
 * naming the field, unknown contacts 404, a wrong state (no live session, no QR) 409.
 */
import { SimulatorControl } from '../control.ts';
import type { EventInput, MessageInput } from '../injection.ts';
import { SimulatorControlError, SimulatorInputError } from '../input.ts';
import type { SettingsInput } from '../settings.ts';
import { type Exchange, JSON_TYPE } from './exchange.ts';

export const CONTROL_PREFIX = '/_sim/';

type Handler = (control: SimulatorControl, body: unknown, ex: Exchange) => unknown;

const NO_CONTENT = { ok: true };

const HANDLERS: Readonly<Record<string, Readonly<Record<string, Handler>>>> = {
  state: { GET: (c) => c.state() },
  contacts: { GET: (c, _b, ex) => c.contacts(ex.query('account')) },
  qr: { POST: (c, body) => c.qrFromInput(body) },
  messages: {
    POST: (c, body) => {
      const batch = isObject(body) && 'messages' in body;
      if (!batch) return c.injectMessage(body as MessageInput);
      const list = (body as { messages: unknown }).messages;
      if (!Array.isArray(list)) throw new SimulatorInputError('messages', 'must be an array');
      return list.map((m, i) => withField(`messages[${i}]`, () => c.injectMessage(m as MessageInput)));
    },
  },
  events: { POST: (c, body) => c.injectEvent(body as EventInput) },
  sent: {
    GET: (c) => c.sent(),
    DELETE: (c) => {
      c.clearSent();
      return NO_CONTENT;
    },
  },
  faults: {
    GET: (c) => c.faults(),
    POST: (c, body) => c.addFaults(body as Parameters<SimulatorControl['addFaults']>[0]),
    DELETE: (c) => {
      c.clearFaults();
      return NO_CONTENT;
    },
  },
  settings: {
    GET: (c) => c.settings(),
    POST: (c, body) => c.updateSettings(body as SettingsInput),
  },
  kick: { POST: (c, body) => c.kick(SimulatorControl.accountOf(body)) },
  'expire-session': { POST: (c, body) => c.expireSession(SimulatorControl.accountOf(body)) },
  counters: { GET: (c) => c.counters() },
  'reset-counters': {
    POST: (c) => {
      c.resetCounters();
      return NO_CONTENT;
    },
  },
};

export function handleControl(ex: Exchange, control: SimulatorControl): void {
  const methods = HANDLERS[ex.path.slice(CONTROL_PREFIX.length)];
  const handler = methods?.[ex.req.method ?? 'GET'];
  const fail = (status: number, error: object) => ex.json(error, JSON_TYPE, status);
  if (!methods) {
    fail(404, { error: 'not_found', reason: `no control call ${ex.path}` });
  } else if (!handler) {
    fail(405, { error: 'method_not_allowed', reason: `use ${Object.keys(methods).join(' or ')}` });
  } else {
    let body: unknown;
    try {
      body = ex.body.trim() === '' ? {} : JSON.parse(ex.body);
    } catch {
      fail(400, { error: 'bad_json', reason: 'the body is not JSON' });
      return;
    }
    try {
      ex.json(handler(control, body, ex));
    } catch (err) {
      if (err instanceof SimulatorInputError) {
        fail(400, { error: 'bad_request', field: err.field, reason: err.reason });
      } else if (err instanceof SimulatorControlError) {
        fail(err.status, { error: err.code, reason: err.reason });
      } else {
        throw err;
      }
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Prefixes the field of an input error raised for one item of a batch. */
function withField<T>(prefix: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SimulatorInputError)
      throw new SimulatorInputError(`${prefix}.${err.field}`, err.reason);
    throw err;
  }
}
