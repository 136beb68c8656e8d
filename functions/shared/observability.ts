/**
 * Powertools Logger (JSON, the account on every line) and Metrics for the handlers, and their
 * adapters to the pipeline's small logging and metrics ports. Secrets are never passed to a log
 * call in the first place; the pipeline logs reasons and counts, not sessions.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { PipelineLog, PipelineMetrics } from '../../lib/pipeline/ports.ts';

export const METRICS_NAMESPACE = 'QQBot';

export function createObservability(serviceName: string, account: string) {
  const logger = new Logger({ serviceName, persistentKeys: { account } });
  // Its own warnings as structured log lines, with the account, like every other line.
  const metrics = new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName,
    defaultDimensions: { account },
    logger,
  });
  const log: PipelineLog = {
    info: (message, extra) => logger.info(message, extra ?? {}),
    warn: (message, extra) => logger.warn(message, extra ?? {}),
    error: (message, extra) => logger.error(message, extra ?? {}),
  };
  const counts: PipelineMetrics = {
    count: (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value),
  };
  return { logger, metrics, log, counts };
}
