/**
 * @quorumlock/proto: the .proto contracts, how every package loads them, the TypeScript types
 * generated from them (src/generated, `pnpm proto:gen`) and the catalogue of error codes that
 * cross the wire.
 */
import * as path from 'node:path';

/** Directory holding quorumlock/v1/*.proto; pass it as proto-loader's `includeDirs`. */
export const protoDir: string = path.resolve(__dirname, '..');
/** Absolute path of the public API contract. */
export const lockProto: string = path.join(protoDir, 'quorumlock', 'v1', 'lock.proto');
/** Absolute path of the internal peer-to-peer Raft transport contract. */
export const raftProto: string = path.join(protoDir, 'quorumlock', 'v1', 'raft.proto');

/**
 * The @grpc/proto-loader options every package loads these files with: camelCase fields, 64-bit
 * integers as JS numbers, enums as their names, defaults filled, oneofs named; `includeDirs` set.
 * Client and server must present messages the same way, and the generated types describe
 * exactly this presentation (gen-types.js passes the matching flags; a test compares them).
 */
export const loaderOptions: {
  readonly keepCase: false;
  readonly longs: NumberConstructor;
  readonly enums: StringConstructor;
  readonly defaults: true;
  readonly oneofs: true;
  readonly includeDirs: readonly string[];
} = Object.freeze({ keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true, includeDirs: Object.freeze([protoDir]) });

export type * from './wire';
export * from './error-codes';
export * from './snapshot-file';
