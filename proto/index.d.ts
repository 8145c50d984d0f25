/** Directory holding quorumlock/v1/*.proto; pass it as proto-loader's `includeDirs`. */
export declare const protoDir: string;
/** Absolute path of the public API contract. */
export declare const lockProto: string;
/** Absolute path of the internal peer-to-peer Raft transport contract. */
export declare const raftProto: string;
/**
 * The @grpc/proto-loader options every package loads these files with: camelCase fields, 64-bit
 * integers as JS numbers, enums as their names, defaults filled, oneofs named; `includeDirs` set.
 */
export declare const loaderOptions: {
  readonly keepCase: false;
  readonly longs: NumberConstructor;
  readonly enums: StringConstructor;
  readonly defaults: true;
  readonly oneofs: true;
  readonly includeDirs: readonly string[];
};
