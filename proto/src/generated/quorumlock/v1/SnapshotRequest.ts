// Original file: proto/quorumlock/v1/lock.proto


export interface SnapshotRequest {
}

export interface SnapshotRequest__Output {
}
