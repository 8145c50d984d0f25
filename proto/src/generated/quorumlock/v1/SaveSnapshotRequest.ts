// Original file: proto/quorumlock/v1/lock.proto


export interface SaveSnapshotRequest {
}

export interface SaveSnapshotRequest__Output {
}
