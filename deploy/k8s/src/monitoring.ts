import { ConfigMap } from 'kubernetes-models/v1';
import { PrometheusRule, ServiceMonitor, type IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { parse } from 'yaml';
import type { Manifest } from './manifests';
import { APP, PORT_NAMES, commonLabels, peerServiceLabels } from './settings';

type RuleGroups = NonNullable<IPrometheusRule['spec']['groups']>;

/** Scrape every member, leader or not: through the headless Service, which lists them all. */
export const serviceMonitor = (): Manifest =>
  new ServiceMonitor({
    metadata: { name: APP, labels: { ...commonLabels } },
    spec: {
      selector: { matchLabels: { ...peerServiceLabels } },
      endpoints: [{ port: PORT_NAMES.metrics, path: '/metrics', interval: '15s' }],
      jobLabel: 'app.kubernetes.io/name',
    },
  });

/**
 * The alert rules of deploy/monitoring/prometheus/alerts.yaml (promtool's format: `groups:`),
 * wrapped for the Prometheus Operator, so there is one source for both.
 */
export function prometheusRule(alertsYaml: string): Manifest {
  const doc = parse(alertsYaml) as { groups?: RuleGroups } | null;
  if (doc === null || !Array.isArray(doc.groups) || doc.groups.length === 0) throw new Error('alerts.yaml has no rule groups');
  return new PrometheusRule({ metadata: { name: APP, labels: { ...commonLabels } }, spec: { groups: doc.groups } });
}

/** The Grafana dashboard, for Grafana's sidecar that loads ConfigMaps labelled grafana_dashboard. */
export function dashboardConfigMap(dashboardJson: string): Manifest {
  const parsed = JSON.parse(dashboardJson) as { title?: unknown };
  if (typeof parsed.title !== 'string') throw new Error('the dashboard JSON has no title');
  return new ConfigMap({
    metadata: { name: `${APP}-dashboard`, labels: { ...commonLabels, grafana_dashboard: '1' } },
    data: { 'quorumlock.json': dashboardJson },
  });
}
