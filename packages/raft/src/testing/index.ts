/**
 * @quorumlock/raft/testing: harnesses that start real kv-node processes, for tests, benchmarks and
 * demos. Kept out of the main entry point so that a library user never loads them.
 */
export { KvCluster, freePort, type KvClusterOptions } from '../demo/kv-cluster';
export type { KvNodeStatus } from '../demo/kv-node';
export { ProcessGroup } from '../demo/process-group';
