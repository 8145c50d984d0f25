// Original file: proto/quorumlock/v1/lock.proto


export interface ListSessionsRequest {
}

export interface ListSessionsRequest__Output {
}
