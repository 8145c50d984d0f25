export * from './core/types';
export { RawNode, type Status } from './core/raw-node';
export { type ProposeResult, type ProposeRefusal, quorumSize, encodeConfChange, decodeConfChange } from './core/raft';
export { ConfigError, type RaftConfig, type RaftConfigInput, DEFAULT_RAFT_CONFIG } from './core/config';
export { SeededRng, type Rng } from './core/rng';
export { type Logger, silentLogger } from './core/logger';
export { AssertionError } from './core/assert';
export * from './storage/storage';
export { MemoryStorage } from './storage/memory-storage';
export { LevelStorage, DataDirIdentityError, encodeIndexKey, decodeIndexKey } from './storage/level-storage';
export type { DataDirIdentity, LevelStorageOptions } from './storage/level-storage';
export { crc32c } from './storage/crc32c';
export type { Transport } from './transport/transport';
export { GrpcTransport, TransportError, type GrpcTransportOptions } from './transport/grpc-transport';
export { createPeerTls, memberIdsOf, verifiedCertificate, MEMBER_URI_PREFIX, type PeerSecurity, type PeerTlsOptions, type PeerIdentityRejection, type TlsCall } from './transport/peer-tls';
export { ReloadingCertificateProvider, loadCertFiles, CertFilesError, DEFAULT_CERT_RELOAD_MS, type CertFiles } from './transport/cert-files';
export type { StateMachine } from './node/state-machine';
export * from './node/raft-node';
// Test harnesses (KvCluster, ProcessGroup, freePort) are in @quorumlock/raft/testing.
