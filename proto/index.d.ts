/** Directory holding quorumlock/v1/*.proto; pass it as proto-loader's `includeDirs`. */
export declare const protoDir: string;
/** Absolute path of the public API contract. */
export declare const lockProto: string;
/** Absolute path of the internal peer-to-peer Raft transport contract. */
export declare const raftProto: string;
