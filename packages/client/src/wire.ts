/**
 * lock.proto as the SDK sees it on the wire: loaded at run time with @grpc/proto-loader and the
 * shared `loaderOptions` (camelCase fields, `longs: Number`, `enums: String`, defaults filled,
 * oneofs named in `msg`). The message types are the ones generated from the .proto into
 * @quorumlock/proto (`pnpm proto:gen`); this module only names the ones the SDK uses.
 *
 * uint64 fields arrive as JS numbers: tokens and request ids are Raft indexes and counters, far
 * below 2^53.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  loaderOptions,
  lockProto,
  type AcquireRequest as GeneratedAcquireRequest,
  type AcquireResponse__Output,
  type AdminServiceDefinition,
  type CheckFenceRequest,
  type CheckFenceResponse__Output,
  type ConsistencyAlarm__Output,
  type HolderInfo__Output,
  type LockInfo__Output,
  type LockProtoGrpcType,
  type LockRequest__Output,
  type MemberStatus__Output,
  type Mode__Output,
  type OneofUnion,
  type SessionInfo__Output,
  type SessionOpened__Output,
  type SaveSnapshotRequest,
  type SnapshotChunk__Output,
  type StatusResponse__Output,
  type WaiterInfo__Output,
} from '@quorumlock/proto';

export type WireMode = Mode__Output;

/** What the SDK writes on an Acquire stream. */
export type AcquireRequest = GeneratedAcquireRequest;
/** A lock request as the SDK builds it: every field set. */
export type LockRequestMsg = Readonly<LockRequest__Output>;
/** What the SDK reads from an Acquire stream: `msg` names the member, which is present. */
export type AcquireResponse = OneofUnion<AcquireResponse__Output>;
export type SessionOpenedMsg = Readonly<SessionOpened__Output>;

export type MemberStatusMsg = Readonly<MemberStatus__Output>;
export type ConsistencyAlarmMsg = Readonly<ConsistencyAlarm__Output>;
export type StatusResponseMsg = Readonly<StatusResponse__Output>;
export type HolderInfoMsg = Readonly<HolderInfo__Output>;
export type WaiterInfoMsg = Readonly<WaiterInfo__Output>;
export type LockInfoMsg = Readonly<LockInfo__Output>;
export type SessionInfoMsg = Readonly<SessionInfo__Output>;

/** The AdminService methods the SDK calls. */
export type AdminMethodName =
  | 'Status'
  | 'ListLocks'
  | 'DescribeLock'
  | 'ListSessions'
  | 'Revoke'
  | 'ExpireSession'
  | 'AddMember'
  | 'RemoveMember'
  | 'TransferLeader'
  | 'Snapshot'
  | 'DeleteValue';

/** Request (as written) and response (as read) of each AdminService method, from the generated definition. */
export type AdminMethods = {
  [K in AdminMethodName]: AdminServiceDefinition[K] extends protoLoader.MethodDefinition<infer Req, infer _Res, infer _ReqOut, infer Res> ? [Req, Res] : never;
};

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
  readonly lockUnary: { readonly CheckFence: MethodCodec<CheckFenceRequest, CheckFenceResponse__Output> };
  readonly admin: { readonly [K in AdminMethodName]: MethodCodec<AdminMethods[K][0], AdminMethods[K][1]> };
  /** AdminService.SaveSnapshot: a server stream (each message decoded by the codec). */
  readonly saveSnapshot: MethodCodec<SaveSnapshotRequest, SnapshotChunk__Output>;
}

/**
 * A decoded AcquireResponse as the union: one whose oneof names no present member cannot be
 * answered, so it fails decoding (grpc-js then ends the call with INTERNAL, and the session
 * reconnects) instead of reaching code that trusts `msg`.
 */
export function acquireResponseOf(res: AcquireResponse__Output): AcquireResponse {
  const member = res.msg;
  if (member === undefined || res[member] === null || res[member] === undefined) {
    throw new Error(`AcquireResponse with no message set (msg ${String(member)})`);
  }
  return res as AcquireResponse;
}

let cached: Wire | undefined;

/** Loads lock.proto once per process. */
export function wire(): Wire {
  if (cached !== undefined) return cached;
  const def = protoLoader.loadSync(lockProto, { ...loaderOptions, includeDirs: [...loaderOptions.includeDirs] });
  // The one place the loaded package meets its generated description (loadPackageDefinition is untyped).
  const v1 = (grpc.loadPackageDefinition(def) as unknown as LockProtoGrpcType).quorumlock.v1;
  const lock = v1.LockService.service;
  const admin = v1.AdminService.service;
  cached = {
    lockService: lock,
    adminService: admin,
    acquire: {
      path: lock.Acquire.path,
      requestSerialize: lock.Acquire.requestSerialize,
      responseDeserialize: (bytes) => acquireResponseOf(lock.Acquire.responseDeserialize(bytes)),
    },
    lockUnary: { CheckFence: lock.CheckFence },
    admin: {
      Status: admin.Status,
      ListLocks: admin.ListLocks,
      DescribeLock: admin.DescribeLock,
      ListSessions: admin.ListSessions,
      Revoke: admin.Revoke,
      ExpireSession: admin.ExpireSession,
      AddMember: admin.AddMember,
      RemoveMember: admin.RemoveMember,
      TransferLeader: admin.TransferLeader,
      Snapshot: admin.Snapshot,
      DeleteValue: admin.DeleteValue,
    },
    saveSnapshot: admin.SaveSnapshot,
  };
  return cached;
}
