/**
 * lockctl's admin commands: each calls the AdminClient and returns what to print, as a JSON
 * value (for `--json`) and as text for people (tables). Formatting is kept pure so tests can check it.
 */
import type { AdminClient, ClusterStatus, LockInfo, MemberStatus, RevokedHold, SessionInfo } from '../admin-client';
import { formatDuration } from '../duration';
import { saveSnapshotCommand } from './snapshot-save';
import { renderKeyValues, renderTable } from './table';

export interface Output {
  readonly json: unknown;
  readonly text: string;
}

/** How far a member's applied index is behind the highest commit index anyone reports. */
export function memberLag(status: ClusterStatus, m: MemberStatus): number {
  const leader = status.members.find((x) => x.id === status.leaderId);
  const commit = leader?.commitIndex ?? Math.max(0, ...status.members.map((x) => x.commitIndex));
  return Math.max(0, commit - m.appliedIndex);
}

export function formatMembers(members: readonly MemberStatus[], status?: ClusterStatus): string {
  return renderTable(
    [
      { header: 'ID', value: (m: MemberStatus) => m.id },
      { header: 'ROLE', value: (m: MemberStatus) => m.role || '-' },
      { header: 'VOTER', value: (m: MemberStatus) => (m.voter ? 'yes' : 'no') },
      { header: 'TERM', value: (m: MemberStatus) => m.term },
      { header: 'COMMIT', value: (m: MemberStatus) => m.commitIndex },
      { header: 'APPLIED', value: (m: MemberStatus) => m.appliedIndex },
      ...(status === undefined ? [] : [{ header: 'LAG', value: (m: MemberStatus) => memberLag(status, m) }]),
      { header: 'MATCH', value: (m: MemberStatus) => m.matchIndex, align: 'right' as const },
      { header: 'PEER', value: (m: MemberStatus) => m.peerAddress },
      { header: 'CLIENT', value: (m: MemberStatus) => m.clientAddress },
    ],
    members,
  );
}

/** One line per divergent member (the consistency check), or nothing when there is none. */
export function formatAlarms(s: ClusterStatus): string {
  return (s.alarms ?? [])
    .map(
      (a) =>
        `\nALARM: node ${a.nodeId} is divergent: its lock state at index ${a.index} has hash ${a.hash}, ` +
        `the majority's is ${a.expectedHash} (found by ${a.detectedBy}); it serves no client\n`,
    )
    .join('');
}

export function formatStatus(s: ClusterStatus): Output {
  const leader = s.members.find((m) => m.id === s.leaderId);
  const text =
    renderKeyValues([
      ['cluster', s.clusterId || '-'],
      ['leader', s.leaderId === '' ? '(none)' : `${s.leaderId}${leader === undefined ? '' : ` (${leader.clientAddress})`}`],
      ['term', s.term],
      ['sessions', s.sessions],
      ['locks', s.locks],
      ['answered by', s.answeredBy || '-'],
      ['loop stall', `${s.maxLoopStallMs ?? 0} ms at most`],
    ]) +
    '\n' +
    formatMembers(s.members, s) +
    formatAlarms(s);
  return { json: { ...s, members: s.members.map((m) => ({ ...m, lag: memberLag(s, m) })) }, text };
}

/** The longest wait in a lock's queue, in ms (0 with no waiters). */
export function longestWaitMs(l: LockInfo): number {
  return Math.max(0, ...l.waiters.map((w) => w.waitingMs));
}

export function formatLocks(locks: readonly LockInfo[]): Output {
  const text = renderTable(
    [
      { header: 'NAME', value: (l: LockInfo) => l.name },
      { header: 'CAPACITY', value: (l: LockInfo) => l.capacity },
      { header: 'HOLDERS', value: (l: LockInfo) => l.holders.length },
      { header: 'WAITERS', value: (l: LockInfo) => l.waiters.length },
      { header: 'LONGEST WAIT', value: (l: LockInfo) => (l.waiters.length === 0 ? '-' : formatDuration(longestWaitMs(l))), align: 'right' as const },
      { header: 'TOKEN', value: (l: LockInfo) => l.latestToken },
      { header: 'VALUE', value: (l: LockInfo) => `${l.valueBytes}B`, align: 'right' as const },
    ],
    locks,
    '(no locks)\n',
  );
  return { json: locks, text };
}

export function formatLock(l: LockInfo): Output {
  const head = renderKeyValues([
    ['name', l.name],
    ['capacity', l.capacity],
    ['latest token', l.latestToken],
    ['value', `${l.valueBytes} bytes`],
    ['lock delay', l.lockDelayRemainingMs > 0 ? `${formatDuration(l.lockDelayRemainingMs)} left` : 'none'],
  ]);
  const holders = renderTable(
    [
      { header: 'SESSION', value: (h: LockInfo['holders'][number]) => h.sessionId },
      { header: 'CLIENT', value: (h: LockInfo['holders'][number]) => h.clientName || '-' },
      { header: 'TOKEN', value: (h: LockInfo['holders'][number]) => h.token },
      { header: 'MODE', value: (h: LockInfo['holders'][number]) => h.mode },
      { header: 'PERMITS', value: (h: LockInfo['holders'][number]) => h.permits },
      { header: 'AGE', value: (h: LockInfo['holders'][number]) => formatDuration(h.ageMs), align: 'right' as const },
    ],
    l.holders,
    '(not held)\n',
  );
  const queue = renderTable(
    [
      { header: 'POS', value: (w: LockInfo['waiters'][number]) => w.position },
      { header: 'SESSION', value: (w: LockInfo['waiters'][number]) => w.sessionId },
      { header: 'CLIENT', value: (w: LockInfo['waiters'][number]) => w.clientName || '-' },
      { header: 'REQUEST', value: (w: LockInfo['waiters'][number]) => w.requestId },
      { header: 'MODE', value: (w: LockInfo['waiters'][number]) => w.mode },
      { header: 'PERMITS', value: (w: LockInfo['waiters'][number]) => w.permits },
      { header: 'PRIORITY', value: (w: LockInfo['waiters'][number]) => w.priority },
      { header: 'WAITING', value: (w: LockInfo['waiters'][number]) => formatDuration(w.waitingMs), align: 'right' as const },
    ],
    [...l.waiters].sort((a, b) => a.position - b.position),
    '(empty)\n',
  );
  return { json: l, text: `${head}\nHolders:\n${holders}\nQueue:\n${queue}` };
}

export function formatSessions(sessions: readonly SessionInfo[]): Output {
  const text = renderTable(
    [
      { header: 'SESSION', value: (s: SessionInfo) => s.sessionId },
      { header: 'CLIENT', value: (s: SessionInfo) => s.clientName || '-' },
      { header: 'TTL', value: (s: SessionInfo) => formatDuration(s.ttlMs), align: 'right' as const },
      { header: 'REMAINING', value: (s: SessionInfo) => formatDuration(s.remainingMs), align: 'right' as const },
      { header: 'HOLDS', value: (s: SessionInfo) => s.holds },
      { header: 'WAITS', value: (s: SessionInfo) => s.waits },
    ],
    sessions,
    '(no sessions)\n',
  );
  return { json: sessions, text };
}

export function formatRevoked(name: string, revoked: readonly RevokedHold[]): Output {
  const text =
    revoked.length === 0
      ? `nothing to revoke: '${name}' has no matching hold\n`
      : `revoked ${revoked.length} hold${revoked.length === 1 ? '' : 's'} of '${name}':\n` +
        renderTable(
          [
            { header: 'TOKEN', value: (h: RevokedHold) => h.token },
            { header: 'MODE', value: (h: RevokedHold) => h.mode },
          ],
          revoked,
        );
  return { json: { name, revoked }, text };
}

/** Runs one admin command. */
export async function runAdminCommand(
  admin: AdminClient,
  command: string,
  args: Readonly<Record<string, string>>,
  options: Readonly<Record<string, string | number | boolean | undefined>>,
): Promise<Output> {
  const str = (k: string): string | undefined => (typeof options[k] === 'string' ? (options[k] as string) : undefined);
  const num = (k: string): number | undefined => (typeof options[k] === 'number' ? (options[k] as number) : undefined);
  const arg = (k: string): string => {
    const v = args[k];
    if (v === undefined) throw new Error(`invariant: missing ${k}`);
    return v;
  };
  switch (command) {
    case 'status':
      return formatStatus(await admin.clusterStatus());
    case 'locks': {
      const prefix = str('prefix');
      const limit = num('limit');
      return formatLocks(await admin.listLocks({ ...(prefix === undefined ? {} : { prefix }), ...(limit === undefined ? {} : { limit }) }));
    }
    case 'lock':
      return formatLock(await admin.describeLock(arg('NAME')));
    case 'sessions':
      return formatSessions(await admin.listSessions());
    case 'revoke': {
      const token = num('token');
      const reason = str('reason');
      const name = arg('NAME');
      return formatRevoked(name, await admin.revoke(name, { ...(token === undefined ? {} : { token }), ...(reason === undefined ? {} : { reason }) }));
    }
    case 'delete-value': {
      const name = arg('NAME');
      const r = await admin.deleteValue(name);
      return {
        json: { name, ...r },
        text: `value of '${name}' deleted: ${r.freedBytes} bytes freed${r.resourceDeleted ? '; the idle lock is gone' : ''}\n`,
      };
    }
    case 'expire-session': {
      const id = arg('ID');
      const released = await admin.expireSession(id);
      return { json: { sessionId: id, released }, text: `session ${id} expired; ${released} hold${released === 1 ? '' : 's'} released\n` };
    }
    case 'members': {
      const s = await admin.clusterStatus();
      return { json: s.members, text: formatMembers(s.members, s) };
    }
    case 'members add': {
      const members = await admin.addMember(arg('ID'), str('peer') ?? '', str('client') ?? '');
      return { json: members, text: `added ${arg('ID')}\n${formatMembers(members)}` };
    }
    case 'members remove': {
      const members = await admin.removeMember(arg('ID'));
      return { json: members, text: `removed ${arg('ID')}\n${formatMembers(members)}` };
    }
    case 'transfer-leader': {
      const leaderId = await admin.transferLeader(str('to') ?? '');
      return { json: { leaderId }, text: `leader is now ${leaderId}\n` };
    }
    case 'snapshot': {
      const s = await admin.snapshot();
      return { json: s, text: `snapshot at index ${s.index} (${s.bytes} bytes)\n` };
    }
    case 'snapshot save':
      return saveSnapshotCommand(admin, arg('FILE'));
    default:
      throw new Error(`invariant: no admin command '${command}'`);
  }
}
