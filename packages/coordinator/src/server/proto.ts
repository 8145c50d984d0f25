import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { loaderOptions, lockProto } from '@quorumlock/proto';

/**
 * lock.proto as proto-loader presents it: camelCase fields, 64-bit integers as JS numbers (ids,
 * tokens and indexes stay below 2^53), enums as their names, oneofs named by a `msg` field.
 */
export const packageDefinition = protoLoader.loadSync(lockProto, { ...loaderOptions, includeDirs: [...loaderOptions.includeDirs] });

interface V1 {
  LockService: grpc.ServiceClientConstructor;
  AdminService: grpc.ServiceClientConstructor;
}

const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as { quorumlock: { v1: V1 } };
export const v1: V1 = loaded.quorumlock.v1;

export type WireMode = 'EXCLUSIVE' | 'SHARED';

export interface WireOpen { sessionId: string; ttlMs: number; clientName: string; sessionSecret?: string }
export interface WireLock {
  requestId: number; name: string; capacity: number; mode: WireMode | number; waitTimeoutMs: number;
  tryOnly: boolean; lockDelayMs: number; permits: number; priority: number;
}
export interface WireRelease { requestId: number; name: string; token: number }
export interface WireKeepAlive { seq: number }
export interface WireCancel { requestId: number }
export interface WirePut { requestId: number; name: string; token: number; value: Buffer }

export interface AcquireRequest {
  msg?: 'open' | 'lock' | 'release' | 'keepalive' | 'close' | 'cancel' | 'put';
  open?: WireOpen;
  lock?: WireLock;
  release?: WireRelease;
  keepalive?: WireKeepAlive;
  close?: Record<string, never>;
  cancel?: WireCancel;
  put?: WirePut;
}

/** `requestId`: the granted lock request (0 where unknown, e.g. RevokeResponse). */
export interface WireHold { name: string; token: number; mode: WireMode; requestId?: number }

export type AcquireResponse =
  | { opened: { sessionId: string; ttlMs: number; resumed: boolean; holds: WireHold[]; sessionSecret: string } }
  | { granted: { requestId: number; name: string; token: number; value: Uint8Array } }
  | { queued: { requestId: number; name: string; position: number } }
  | { released: { requestId: number; name: string; token: number } }
  | { lost: { name: string; token: number; reason: string } }
  | { failed: { requestId: number; code: number; message: string } }
  | { keepaliveAck: { seq: number; ttlMs: number } }
  | { valuePut: { requestId: number; name: string; token: number } };
