/**
 * @quorumlock/chaos-check: the history checkers of the fault suite (issue 5). Pure functions
 * over a recorded history; the runner records, this package judges.
 */
export * from './history';
export * from './violation';
export * from './checkers';
export * from './wgl-search';
export * from './lock-models';
export * from './lock-problem';
export * from './linearizability';
export * from './cluster-grants';
export * from './liveness';
export * from './check-all';
