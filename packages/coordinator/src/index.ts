export * from './state';
export { Replica, type ReplicaOptions, type UnstampedCommand, type MemberAddresses } from './replica';
export { LeaderClock, type MonotonicSource } from './leader-clock';
export { loadConfig, helpText, ConfigError, type ServerConfig } from './config';
export { createMetrics, type Metrics } from './metrics';
// Test harnesses (CoordinatorCluster, FaultProxy) are in @quorumlock/coordinator/testing.
