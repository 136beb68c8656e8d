/**
 * Routing by path (paths are unique across the real hosts), then, for SmartQQ calls: the header
 * rules (403), the fault for this call, the route.
 */
import type { SimulatorControl } from '../control.ts';
import type { SimulatorCore } from '../core.ts';
import { applyFault } from './apply-fault.ts';
import type { Exchange } from './exchange.ts';
import { headerProblem, type Route } from './route.ts';
import { API_ROUTES } from './routes-api.ts';
import { CHANNEL_ROUTES } from './routes-channel.ts';
import { CONTROL_PREFIX, handleControl } from './routes-control.ts';
import { POLL_ROUTE } from './routes-poll.ts';
import { PTLOGIN_ROUTES } from './routes-ptlogin.ts';
import { SEND_ROUTES } from './routes-send.ts';

export const ROUTES: ReadonlyMap<string, Route> = new Map(
  [...PTLOGIN_ROUTES, ...API_ROUTES, ...CHANNEL_ROUTES, POLL_ROUTE, ...SEND_ROUTES].map((r) => [r.path, r]),
);

/** The names faults are keyed by: each route's last path segment. */
export const ENDPOINTS: readonly string[] = [...ROUTES.keys()].map((p) => p.slice(p.lastIndexOf('/') + 1));

export function createDispatcher(core: SimulatorCore, control: SimulatorControl) {
  return async (ex: Exchange): Promise<void> => {
    if (ex.path.startsWith(CONTROL_PREFIX)) return handleControl(ex, control);
    const route = ROUTES.get(ex.path);
    if (!route) return ex.nginx(404);
    core.counters.add('requests');
    if (ex.endpoint === 'poll2') core.counters.add('polls');
    const problem = headerProblem(route.host, ex);
    if (problem) {
      core.log(`refused: ${ex.endpoint}: ${problem} (403)`);
      return ex.nginx(403);
    }
    const fault = core.faults.take(ex.endpoint);
    if (fault && (await applyFault(fault, ex, route, core))) return;
    await route.handle(ex, { core, fault });
  };
}
