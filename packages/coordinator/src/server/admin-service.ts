import type * as grpc from '@grpc/grpc-js';
import { NotLeaderError, OutcomeUnknownError, ProposalRefusedError } from '@quorumlock/raft';
import type { Replica, UnstampedCommand } from '../replica';
import type { AdminServiceHandlers, LockInfo, MemberStatus__Output, Mode__Output } from '@quorumlock/proto';
import type { LockDescription, LockSummary } from '../state/events';
import { processLoopMonitor } from './loop-monitor';
import { saveSnapshotHandler } from './snapshot-export';
import { notLeader, statusError, type StatusError } from './errors';
import { invalidUtf8Of } from './strict-utf8';
import { checkName, checkText, checkUint53, MAX_REASON_BYTES, type Refusal, utf8Refusal } from './validate';

type Unary<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => void;

const wireMode = (m: 'exclusive' | 'shared'): Mode__Output => (m === 'shared' ? 'SHARED' : 'EXCLUSIVE');

/**
 * AdminService: what lockctl shows and does. Reads go through a ReadIndex barrier on the leader,
 * so they are linearizable; Status is answered by any node from its own view, so an operator can
 * inspect a cluster that has no leader.
 */
export class AdminService {
  constructor(private readonly replica: Replica) {}

  private toStatusError(e: unknown): StatusError {
    const r = this.replica;
    if (e instanceof NotLeaderError || e instanceof OutcomeUnknownError) return notLeader(r.id, r.leaderClientAddress());
    if (e instanceof ProposalRefusedError) return statusError('ERR_FAILED_PRECONDITION', e.message);
    return statusError('ERR_UNAVAILABLE', e instanceof Error ? e.message : String(e));
  }

  /**
   * State-independent checks, made by any node before anything else: invalid UTF-8 in any string
   * field, then `check`. A refused request is answered at once and never reaches the log.
   */
  private refusal<Req>(req: Req, check?: (req: Req) => Refusal | undefined): StatusError | undefined {
    const bad = invalidUtf8Of(req);
    const r = bad !== undefined ? utf8Refusal(bad) : check?.(req);
    return r === undefined ? undefined : statusError(r.errorCode, r.message);
  }

  /** Run `fn` on the leader after a read barrier; answer followers with a redirect. */
  private leaderRead<Req, Res>(fn: (req: Req) => Res | StatusError, check?: (req: Req) => Refusal | undefined): Unary<Req, Res> {
    return (call, callback) => {
      const r = this.replica;
      const refused = this.refusal(call.request, check);
      if (refused !== undefined) {
        callback(refused);
        return;
      }
      if (!r.isLeader()) {
        callback(notLeader(r.id, r.leaderClientAddress()));
        return;
      }
      r.readBarrier().then(
        () => {
          const res = fn(call.request);
          if (isStatusError(res)) callback(res);
          else callback(null, res);
        },
        (e: unknown) => callback(this.toStatusError(e)),
      );
    };
  }

  private leaderCall<Req, Res>(fn: (req: Req) => Promise<Res>, check?: (req: Req) => Refusal | undefined): Unary<Req, Res> {
    return (call, callback) => {
      const r = this.replica;
      const refused = this.refusal(call.request, check);
      if (refused !== undefined) {
        callback(refused);
        return;
      }
      if (!r.isLeader()) {
        callback(notLeader(r.id, r.leaderClientAddress()));
        return;
      }
      fn(call.request).then(
        (res) => callback(null, res),
        (e: unknown) => callback(isStatusError(e) ? e : this.toStatusError(e)),
      );
    };
  }

  private async proposeAdmin(cmd: UnstampedCommand): Promise<import('../state/events').ApplyOutput> {
    const out = await this.replica.propose(cmd);
    if (out.status.code !== 0) throw statusError(out.status.errorCode ?? 'ERR_INTERNAL', out.status.message);
    return out;
  }

  members(): MemberStatus__Output[] {
    const r = this.replica;
    const st = r.node.status();
    return r.node.membersList().map((m) => {
      const self = m.id === r.id;
      const pr = st.progress.get(m.id);
      let role = m.voter ? 'follower' : 'learner';
      if (m.id === st.lead) role = 'leader';
      else if (self) role = m.voter ? st.role : 'learner';
      return {
        id: m.id,
        peerAddress: m.peerAddress || r.localAddresses(m.id).peer,
        clientAddress: m.context['client'] || r.localAddresses(m.id).client,
        role,
        term: self || m.id === st.lead ? st.term : 0,
        commitIndex: self ? st.commit : 0,
        appliedIndex: self ? st.applied : 0,
        voter: m.voter,
        matchIndex: pr?.match ?? 0,
      };
    });
  }

  private describe(d: LockDescription | LockSummary, now: number): LockInfo {
    const full = 'holders' in d ? d : undefined;
    return {
      name: d.name,
      capacity: d.capacity,
      valueBytes: d.valueBytes,
      latestToken: d.latestToken,
      lockDelayRemainingMs: d.lockDelayUntil > now ? d.lockDelayUntil - now : 0,
      holders: (full?.holders ?? []).map((h) => ({
        sessionId: h.sessionId, clientName: h.clientName, token: h.token, mode: wireMode(h.mode), permits: h.permits, ageMs: Math.max(0, now - h.grantedAt),
      })),
      waiters: (full?.queue ?? []).map((w) => ({
        position: w.position, sessionId: w.sessionId, clientName: w.clientName, requestId: w.requestId, mode: wireMode(w.mode),
        permits: w.permits, priority: w.priority, waitingMs: Math.max(0, now - w.enqueuedAt),
      })),
    };
  }

  /**
   * CheckConsistency: this node's state hash at `index`; with `notices`, a divergence notice about
   * this node is taken too (only as from the current leader; a stale verdict is ignored).
   */
  consistencyCheck(notices: boolean): AdminServiceHandlers['CheckConsistency'] {
    return (call, callback) => {
      const r = this.replica;
      const { index, waitMs, divergent, alarm } = call.request;
      if (divergent) {
        if (notices && alarm !== null && alarm !== undefined && alarm.nodeId === r.id && alarm.detectedBy === r.node.leaderId()) {
          r.consistency.raise({ nodeId: alarm.nodeId, index: alarm.index, hash: alarm.hash, expectedHash: alarm.expectedHash, detectedBy: alarm.detectedBy });
        }
        callback(null, { nodeId: r.id, index, ok: false, hash: '' });
        return;
      }
      r.hashes.at(index, Math.min(waitMs, 10_000)).then(
        (hash) => callback(null, { nodeId: r.id, index, ok: hash !== null, hash: hash ?? '' }),
        (e: unknown) => callback(this.toStatusError(e)),
      );
    };
  }

  readonly handlers: AdminServiceHandlers = {
    Status: (call, callback) => {
      const r = this.replica;
      const st = r.node.status();
      const loop = processLoopMonitor();
      const maxLoopStallMs = loop.maxMs();
      if (call.request.resetLoopStall === true) loop.reset();
      callback(null, {
        clusterId: r.clusterId,
        leaderId: st.lead,
        term: st.term,
        members: this.members(),
        answeredBy: r.id,
        sessions: r.sm.sessionCount(),
        locks: r.sm.listLocks().length,
        alarms: r.consistency.alarms(),
        maxLoopStallMs,
      });
    },

    // On the client port only the hash: a divergence notice is taken only from the leader's peer
    // certificate, on the peer port (PeerService, peer-service.ts).
    CheckConsistency: this.consistencyCheck(false),

    ListLocks: this.leaderRead((req) => {
      const sm = this.replica.sm;
      const now = this.replica.now();
      let locks = sm.listLocks(req.prefix);
      if (req.limit > 0) locks = locks.slice(0, req.limit);
      return { locks: locks.map((l) => this.describe(sm.describeLock(l.name) ?? l, now)) };
    }, (req) => checkText('prefix', req.prefix, this.replica.sm.limits.maxNameBytes)),

    DescribeLock: this.leaderRead((req) => {
      const sm = this.replica.sm;
      const d = sm.describeLock(req.name);
      if (d === undefined) return statusError('ERR_NOT_FOUND', `lock '${req.name.slice(0, 64)}' not found (never used, or idle and removed)`);
      return this.describe(d, this.replica.now());
    }, (req) => checkName('name', req.name, this.replica.sm.limits)),

    ListSessions: this.leaderRead(() => {
      const sm = this.replica.sm;
      const now = this.replica.now();
      return {
        sessions: sm.listSessions().map((s) => ({
          sessionId: s.sessionId, clientName: s.clientName, ttlMs: s.ttlMs, remainingMs: Math.max(0, s.deadline - now),
          holds: s.holds.length, waits: s.waits.length,
        })),
      };
    }),

    Revoke: this.leaderCall(async (req) => {
      // Modes of the holds as they stand before the revoke (the lost events do not carry them).
      const modes = new Map((this.replica.sm.describeLock(req.name)?.holders ?? []).map((h) => [h.token, wireMode(h.mode)]));
      const out = await this.proposeAdmin({
        type: 'revoke', name: req.name, reason: req.reason === '' ? 'revoked by an administrator' : req.reason,
        ...(req.token > 0 ? { token: req.token } : {}),
      });
      const revoked = [];
      for (const e of out.events) {
        if (e.type === 'lost') revoked.push({ name: e.name, token: e.token, mode: modes.get(e.token) ?? 'EXCLUSIVE' });
      }
      return { revoked };
    }, (req) => checkName('name', req.name, this.replica.sm.limits) ?? checkUint53('token', req.token) ?? checkText('reason', req.reason, MAX_REASON_BYTES)),

    ExpireSession: this.leaderCall(async (req) => {
      const out = await this.proposeAdmin({ type: 'adminExpireSession', sessionId: req.sessionId });
      return { released: out.events.filter((e) => e.type === 'lost').length };
    }, (req) => checkText('session_id', req.sessionId, this.replica.sm.limits.maxSessionIdBytes, false)),

    AddMember: this.leaderCall(async (req) => {
      for (const [field, v] of [['id', req.id], ['peer_address', req.peerAddress], ['client_address', req.clientAddress]] as const) {
        if (v === '') throw statusError('ERR_INVALID_ARGUMENT', `${field} must not be empty`);
      }
      if (!/^[^:\s]+:\d+$/.test(req.peerAddress)) throw statusError('ERR_INVALID_ARGUMENT', `peer_address '${req.peerAddress}' is not host:port`);
      if (!/^[^:\s]+:\d+$/.test(req.clientAddress)) throw statusError('ERR_INVALID_ARGUMENT', `client_address '${req.clientAddress}' is not host:port`);
      await this.replica.node.addMember(req.id, { peer: req.peerAddress, client: req.clientAddress });
      return { members: this.members() };
    }),

    RemoveMember: this.leaderCall(async (req) => {
      if (req.id === '') throw statusError('ERR_INVALID_ARGUMENT', 'id must not be empty');
      if (!this.replica.node.membersList().some((m) => m.id === req.id)) {
        throw statusError('ERR_NOT_FOUND', `member ${req.id} is not in the cluster`);
      }
      if (req.id === this.replica.id) await this.replica.node.transferLeadership();
      const node = this.replica.node;
      if (!node.isLeader()) throw notLeader(this.replica.id, this.replica.leaderClientAddress());
      await node.removeMember(req.id);
      return { members: this.members() };
    }),

    TransferLeader: this.leaderCall(async (req) => {
      const leader = await this.replica.node.transferLeadership(req.to === '' ? undefined : req.to);
      return { leaderId: leader };
    }),

    DeleteValue: this.leaderCall(async (req) => {
      const out = await this.proposeAdmin({ type: 'deleteValue', name: req.name });
      const e = out.events.find((x) => x.type === 'valueDeleted');
      return { freedBytes: e?.type === 'valueDeleted' ? e.bytes : 0, resourceDeleted: e?.type === 'valueDeleted' && e.resourceDeleted };
    }, (req) => checkName('name', req.name, this.replica.sm.limits)),

    // The leader's snapshot (as lockctl promises): a follower redirects, like every call but Status.
    Snapshot: this.leaderCall(() => this.replica.node.takeSnapshot()),

    SaveSnapshot: (call) => saveSnapshotHandler(this.replica, (e) => (isStatusError(e) ? e : this.toStatusError(e)))(call),
  };
}

function isStatusError(x: unknown): x is StatusError {
  return typeof x === 'object' && x !== null && 'code' in x && 'details' in x && 'metadata' in x;
}
