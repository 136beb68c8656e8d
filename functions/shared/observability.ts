/**
 * Powertools Logger (JSON) and Metrics for the handlers, and their adapters to the pipeline's small
 * logging and metrics ports. Secrets are never passed to a log call in the first place; the
 * pipeline logs reasons and counts, not sessions.
 *
 * One function serves several accounts (a poller shard, a consumer batch), so what is said about an
 * account goes through `forAccount`: its log lines carry `account`, and each count is published
 * twice — with the dimensions `service` and `account` (graphs per account) and with `service` alone
 * (the alarms, which must not need an alarm per account: infra/alarms.ts).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { PipelineLog, PipelineMetrics } from '../../lib/pipeline/ports.ts';

export const METRICS_NAMESPACE = 'QQBot';

export interface AccountObservability {
  readonly log: PipelineLog;
  readonly counts: PipelineMetrics;
}

export interface Observability {
  readonly logger: Logger;
  /** The function's own metrics (dimension `service`), published by `logMetrics`. */
  readonly metrics: Metrics;
  /** The function's log and counts, not about one account (dimension `service`). */
  readonly log: PipelineLog;
  readonly counts: PipelineMetrics;
  /** What is said about one account (kept for the container's life, one per account). */
  forAccount(account: string): AccountObservability;
  /** Publishes what `forAccount` counted: `publishAccountMetrics(observability)` after each invocation. */
  publishAccountMetrics(): void;
}

export function createObservability(serviceName: string): Observability {
  const logger = new Logger({ serviceName });
  // Its own warnings as structured log lines, like every other line.
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName, logger });
  const counts = countsOn(metrics);
  const accounts = new Map<string, AccountObservability & { readonly metrics: Metrics }>();
  return {
    logger,
    metrics,
    log: logOn(logger),
    counts,
    forAccount(account) {
      let found = accounts.get(account);
      if (!found) {
        const accountMetrics = new Metrics({
          namespace: METRICS_NAMESPACE,
          serviceName,
          defaultDimensions: { account },
          logger,
        });
        const own = countsOn(accountMetrics);
        found = {
          metrics: accountMetrics,
          log: logOn(logger.createChild({ persistentKeys: { account } })),
          counts: {
            count: (name, value) => {
              own.count(name, value);
              counts.count(name, value);
            },
          },
        };
        accounts.set(account, found);
      }
      return found;
    },
    publishAccountMetrics() {
      for (const { metrics: each } of accounts.values()) {
        if (each.hasStoredMetrics()) each.publishStoredMetrics();
      }
    },
  };
}

/** Publishes the per-account metrics after every invocation, failed or not (as `logMetrics` does). */
export function publishAccountMetrics(observability: Observability): MiddlewareObj {
  const publish = async () => observability.publishAccountMetrics();
  return { after: publish, onError: publish };
}

function logOn(logger: Logger): PipelineLog {
  return {
    info: (message, extra) => logger.info(message, extra ?? {}),
    warn: (message, extra) => logger.warn(message, extra ?? {}),
    error: (message, extra) => logger.error(message, extra ?? {}),
  };
}

function countsOn(metrics: Metrics): PipelineMetrics {
  return { count: (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value) };
}
