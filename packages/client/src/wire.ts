/**
 * lock.proto as the SDK sees it on the wire: loaded at runtime with @grpc/proto-loader
 * (`keepCase: false` so fields are camelCase, `longs: Number`, `enums: String`, `defaults: true`,
 * `oneofs: true` so a decoded oneof names its member in `msg`). The interfaces below describe
 * exactly those decoded shapes; they are written by hand because the contract is small and the
 * SDK must not depend on generated code that another package owns.
 *
 * uint64 fields arrive as JS numbers: tokens and request ids are Raft indexes and counters, far
 * below 2^53.
 */
import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { loaderOptions, lockProto } from '@quorumlock/proto';

export type WireMode = 'EXCLUSIVE' | 'SHARED';

// ---- LockService.Acquire requests (what we serialize) ----

export interface OpenSessionMsg {
  readonly sessionId: string;
  readonly ttlMs: number;
  readonly clientName: string;
  /** Resuming: the secret `opened` gave when the session was created (empty for a new session). */
  readonly sessionSecret: string;
}
export interface LockRequestMsg {
  readonly requestId: number;
  readonly name: string;
  readonly capacity: number;
  readonly mode: WireMode;
  readonly waitTimeoutMs: number;
  readonly tryOnly: boolean;
  readonly lockDelayMs: number;
  readonly permits: number;
  readonly priority: number;
}
export interface ReleaseRequestMsg {
  readonly requestId: number;
  readonly name: string;
  readonly token: number;
}
export interface PutValueMsg {
  readonly requestId: number;
  readonly name: string;
  readonly token: number;
  readonly value: Uint8Array;
}

export type AcquireRequest =
  | { readonly open: OpenSessionMsg }
  | { readonly lock: LockRequestMsg }
  | { readonly release: ReleaseRequestMsg }
  | { readonly keepalive: { readonly seq: number } }
  | { readonly close: Record<string, never> }
  | { readonly cancel: { readonly requestId: number } }
  | { readonly put: PutValueMsg };

// ---- LockService.Acquire responses (what we decode) ----

export interface HoldMsg {
  readonly name: string;
  readonly token: number;
  readonly mode: WireMode;
  /** The lock request granted this hold; 0 where unknown (RevokeResponse, an older server). */
  readonly requestId: number;
}
export interface SessionOpenedMsg {
  readonly sessionId: string;
  readonly ttlMs: number;
  readonly resumed: boolean;
  readonly holds: readonly HoldMsg[];
  /** Set only for the stream that created the session (empty on resume, and from servers before issue 11). */
  readonly sessionSecret?: string;
}
export interface GrantedMsg {
  readonly requestId: number;
  readonly name: string;
  readonly token: number;
  readonly value: Uint8Array;
}
export interface QueuedMsg {
  readonly requestId: number;
  readonly name: string;
  readonly position: number;
}
export interface ReleasedMsg {
  readonly requestId: number;
  readonly name: string;
  readonly token: number;
}
export interface LockLostMsg {
  readonly name: string;
  readonly token: number;
  readonly reason: string;
}
export interface RequestFailedMsg {
  readonly requestId: number;
  readonly code: number;
  readonly message: string;
}
export interface KeepAliveAckMsg {
  readonly seq: number;
  readonly ttlMs: number;
}
export interface ValuePutMsg {
  readonly requestId: number;
  readonly name: string;
  readonly token: number;
}

export type AcquireResponse =
  | { readonly msg: 'opened'; readonly opened: SessionOpenedMsg }
  | { readonly msg: 'granted'; readonly granted: GrantedMsg }
  | { readonly msg: 'queued'; readonly queued: QueuedMsg }
  | { readonly msg: 'released'; readonly released: ReleasedMsg }
  | { readonly msg: 'lost'; readonly lost: LockLostMsg }
  | { readonly msg: 'failed'; readonly failed: RequestFailedMsg }
  | { readonly msg: 'keepaliveAck'; readonly keepaliveAck: KeepAliveAckMsg }
  | { readonly msg: 'valuePut'; readonly valuePut: ValuePutMsg };

export interface CheckFenceRequestMsg {
  readonly name: string;
  readonly token: number;
}
export interface CheckFenceResponseMsg {
  readonly current: boolean;
  readonly latestToken: number;
}

// ---- AdminService ----

export interface MemberStatusMsg {
  readonly id: string;
  readonly peerAddress: string;
  readonly clientAddress: string;
  readonly role: string;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly voter: boolean;
  readonly matchIndex: number;
}
export interface ConsistencyAlarmMsg {
  readonly nodeId: string;
  readonly index: number;
  readonly hash: string;
  readonly expectedHash: string;
  readonly detectedBy: string;
}
export interface StatusResponseMsg {
  readonly clusterId: string;
  readonly leaderId: string;
  readonly term: number;
  readonly members: readonly MemberStatusMsg[];
  readonly answeredBy: string;
  readonly sessions: number;
  readonly locks: number;
  /** Divergent lock-state hashes the answering node knows of (the consistency check). */
  readonly alarms?: readonly ConsistencyAlarmMsg[];
  /** The answering node's longest event-loop stall (ms); absent from older servers. */
  readonly maxLoopStallMs?: number;
}
export interface HolderInfoMsg {
  readonly sessionId: string;
  readonly clientName: string;
  readonly token: number;
  readonly mode: WireMode;
  readonly permits: number;
  readonly ageMs: number;
}
export interface WaiterInfoMsg {
  readonly position: number;
  readonly sessionId: string;
  readonly clientName: string;
  readonly requestId: number;
  readonly mode: WireMode;
  readonly permits: number;
  readonly priority: number;
  readonly waitingMs: number;
}
export interface LockInfoMsg {
  readonly name: string;
  readonly capacity: number;
  readonly holders: readonly HolderInfoMsg[];
  readonly waiters: readonly WaiterInfoMsg[];
  readonly valueBytes: number;
  readonly latestToken: number;
  readonly lockDelayRemainingMs: number;
}
export interface SessionInfoMsg {
  readonly sessionId: string;
  readonly clientName: string;
  readonly ttlMs: number;
  readonly remainingMs: number;
  readonly holds: number;
  readonly waits: number;
}

/** The AdminService methods: request and response shape of each. */
export interface AdminMethods {
  Status: [Record<string, never>, StatusResponseMsg];
  ListLocks: [{ readonly prefix: string; readonly limit: number }, { readonly locks: readonly LockInfoMsg[] }];
  DescribeLock: [{ readonly name: string }, LockInfoMsg];
  ListSessions: [Record<string, never>, { readonly sessions: readonly SessionInfoMsg[] }];
  Revoke: [{ readonly name: string; readonly token: number; readonly reason: string }, { readonly revoked: readonly HoldMsg[] }];
  ExpireSession: [{ readonly sessionId: string }, { readonly released: number }];
  AddMember: [{ readonly id: string; readonly peerAddress: string; readonly clientAddress: string }, { readonly members: readonly MemberStatusMsg[] }];
  RemoveMember: [{ readonly id: string }, { readonly members: readonly MemberStatusMsg[] }];
  TransferLeader: [{ readonly to: string }, { readonly leaderId: string }];
  Snapshot: [Record<string, never>, { readonly index: number; readonly bytes: number }];
  DeleteValue: [{ readonly name: string }, { readonly freedBytes: number; readonly resourceDeleted: boolean }];
}

/** LockService's unary methods. */
export interface LockUnaryMethods {
  CheckFence: [CheckFenceRequestMsg, CheckFenceResponseMsg];
}

/** A method's path and codec, as proto-loader describes it. */
export interface MethodCodec<Req, Res> {
  readonly path: string;
  readonly requestSerialize: (value: Req) => Buffer;
  readonly responseDeserialize: (bytes: Buffer) => Res;
}

export interface Wire {
  /** The service definitions, for `grpc.Server#addService` (test stubs). */
  readonly lockService: grpc.ServiceDefinition;
  readonly adminService: grpc.ServiceDefinition;
  readonly acquire: MethodCodec<AcquireRequest, AcquireResponse>;
  readonly lockUnary: { readonly [K in keyof LockUnaryMethods]: MethodCodec<LockUnaryMethods[K][0], LockUnaryMethods[K][1]> };
  readonly admin: { readonly [K in keyof AdminMethods]: MethodCodec<AdminMethods[K][0], AdminMethods[K][1]> };
}

let cached: Wire | undefined;

/** Loads lock.proto once per process. */
export function wire(): Wire {
  if (cached !== undefined) return cached;
  const def = protoLoader.loadSync(lockProto, { ...loaderOptions, includeDirs: [...loaderOptions.includeDirs] });
  const service = (name: string): grpc.ServiceDefinition => {
    const s = def[`quorumlock.v1.${name}`];
    if (s === undefined || 'format' in s) throw new Error(`lock.proto has no service quorumlock.v1.${name}`);
    return s as unknown as grpc.ServiceDefinition;
  };
  const lock = service('LockService');
  const admin = service('AdminService');
  const codec = <Req, Res>(svc: grpc.ServiceDefinition, method: string): MethodCodec<Req, Res> => {
    const m = svc[method];
    if (m === undefined) throw new Error(`lock.proto has no method ${method}`);
    return m as unknown as MethodCodec<Req, Res>;
  };
  const adminMethods = [
    'Status',
    'ListLocks',
    'DescribeLock',
    'ListSessions',
    'Revoke',
    'ExpireSession',
    'AddMember',
    'RemoveMember',
    'TransferLeader',
    'Snapshot',
    'DeleteValue',
  ] as const satisfies readonly (keyof AdminMethods)[];
  const adminCodecs = Object.fromEntries(adminMethods.map((m) => [m, codec(admin, m)])) as unknown as Wire['admin'];
  cached = {
    lockService: lock,
    adminService: admin,
    acquire: codec(lock, 'Acquire'),
    lockUnary: { CheckFence: codec(lock, 'CheckFence') },
    admin: adminCodecs,
  };
  return cached;
}
