import type { Command } from './state/commands';
import type { StreamRequest } from './replica';

/**
 * The entry of a batch of stream requests: the request itself when alone, else a `batch`; all
 * stamped alike. The requests belong to the batcher once submitted, so each is stamped in place:
 * `stamp` becomes its last field, as in `{ ...request, stamp }`, hence the same bytes, without a
 * copy per request (the copy cost the leader more than the request's share of the encode).
 */
export function stampedEntry(requests: readonly StreamRequest[], stamp: number): Command {
  const commands = requests as readonly (StreamRequest & { stamp?: number })[];
  for (const r of commands) r.stamp = stamp;
  const stamped = commands as (Command & { type: StreamRequest['type'] })[];
  return stamped.length === 1 && stamped[0] !== undefined ? stamped[0] : { type: 'batch', stamp, commands: stamped };
}
