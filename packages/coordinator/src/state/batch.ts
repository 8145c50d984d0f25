import type { BatchCommand, Command } from './commands';
import { ok, type Status } from './status';

/**
 * Applies a `batch` entry: each request in order through `step`, the machine's own path for one
 * command at the current log position. So a batch produces exactly the events, observations and
 * state of its requests applied one after the other at that position (the test
 * batch-entry.test.ts holds the machine to it). Their statuses are not kept: a stream request is
 * answered by events addressed to its session, never by the entry's status.
 */
export function applyBatch(batch: BatchCommand, step: (command: Command) => Status): Status {
  for (const command of batch.commands) step(command);
  return ok(`batch of ${batch.commands.length} requests`);
}
