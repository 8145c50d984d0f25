/**
 * @quorumlock/chaos-check: the history checkers of the fault suite (issue 5). Pure functions
 * over a recorded history; the runner records, this package judges.
 */
export * from './history';
export * from './violation';
export * from './checkers';
export * from './linearizability';
export * from './cluster-grants';
export * from './liveness';
export * from './check-all';
