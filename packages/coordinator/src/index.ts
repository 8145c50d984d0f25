export * from './state';
export { Replica, type ReplicaOptions, type UnstampedCommand, type MemberAddresses } from './replica';
export { LeaderClock, type MonotonicSource } from './leader-clock';
export { loadConfig, helpText, ConfigError, type ServerConfig } from './config';
export { createMetrics, type Metrics } from './metrics';
export { CoordinatorCluster, type CoordinatorClusterOptions, type StatusView } from './testing/coordinator-cluster';
export { FaultProxy, type FaultMode, type Direction, type FaultProxyStats } from './testing/fault-proxy';
export { PrometheusServer, requirePrometheusBinary, ALERT_RULES_FILE, DASHBOARD_FILE, type PrometheusServerOptions, type PromSample } from './testing/prometheus-server';
