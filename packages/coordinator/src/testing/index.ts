/**
 * @quorumlock/coordinator/testing: real quorumlock-server processes (CoordinatorCluster) and a TCP
 * fault proxy, for tests, benchmarks and demos; and the loaded LockService/AdminService gRPC
 * package (`v1`) and the peer port's PeerService for tests that speak the wire protocol directly. Kept out of the main entry
 * point so that embedding the server never loads them.
 */
export { CoordinatorCluster, type CoordinatorClusterOptions, type ClusterTlsOptions, type StatusView } from './coordinator-cluster';
export { TestCa, OPENSSL, type CertPair, type TlsMaterial } from './test-pki';
export { FaultProxy, type FaultMode, type Direction, type FaultProxyStats } from './fault-proxy';
export { v1 } from '../server/proto';
export { PeerServiceClient } from '../peer-rpc';
export { PrometheusServer, requirePrometheusBinary, ALERT_RULES_FILE, DASHBOARD_FILE, type PrometheusServerOptions, type PromSample } from './prometheus-server';
