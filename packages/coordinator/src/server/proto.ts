import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  loaderOptions,
  lockProto,
  type AcquireRequest__Output,
  type AcquireResponse,
  type LockProtoGrpcType,
  type LockRequest__Output,
  type Mode__Output,
} from '@quorumlock/proto';

/**
 * lock.proto as proto-loader presents it: camelCase fields, 64-bit integers as JS numbers (ids,
 * tokens and indexes stay below 2^53), enums as their names, oneofs named by a `msg` field.
 * The message types are generated from the .proto (@quorumlock/proto, `pnpm proto:gen`).
 */
export const packageDefinition = protoLoader.loadSync(lockProto, { ...loaderOptions, includeDirs: [...loaderOptions.includeDirs] });

// The one place the loaded package meets its generated description (as proto-loader-gen-types
// intends: loadPackageDefinition returns an untyped GrpcObject).
const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as LockProtoGrpcType;
export const v1 = loaded.quorumlock.v1;

/**
 * A received AcquireRequest. The generated type says what the .proto allows; an unknown enum
 * number still arrives as a number (validate.ts refuses it by name).
 */
export type AcquireRequest = AcquireRequest__Output;
/** What the server writes on an Acquire stream. */
export type { AcquireResponse };
export type WireLock = LockRequest__Output;
export type WireMode = Mode__Output;
