import type { NodeId, Role } from '../core/types';

/** Why the role or known leader changed, for the log line (operators grep for it). */
export function roleChangeReason(from: Role, to: Role, previous: NodeId, lead: NodeId): string {
  if (to === 'leader') return 'won the election';
  if (to === 'preCandidate') return 'election timeout: pre-vote started';
  if (to === 'candidate') return from === 'preCandidate' ? 'pre-vote won: election started' : 'election started (leadership transfer)';
  if (from === 'leader') return lead === '' ? 'stepped down: lost quorum or saw a higher term' : `stepped down: ${lead} leads`;
  if (lead === '') return previous === '' ? 'no leader known' : `lost leader ${previous}: higher term seen`;
  return previous === '' ? `heard from leader ${lead}` : `leader moved from ${previous} to ${lead}`;
}
