export { CorruptEntryError, LockStateMachine, type ApplyMeta, type RaftEntryLike } from './lock-state-machine';
export * from './commands';
export * from './events';
export { decodeCommand, encodeCommand } from './codec';
export { Code, type Status } from './status';
export { DEFAULT_LIMITS, DEFAULT_MAX_CLOCK_SKEW_MS, MAX_WAIT_TIMEOUT_MS, type LockLimits, type LockStateMachineOptions } from './limits';
export { SnapshotFormatError, SNAPSHOT_VERSION } from './snapshot';
export { findCycle, describeCycle, type WaitEdge } from './wait-for-graph';
