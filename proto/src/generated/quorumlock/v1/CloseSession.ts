// Original file: proto/quorumlock/v1/lock.proto


export interface CloseSession {
}

export interface CloseSession__Output {
}
