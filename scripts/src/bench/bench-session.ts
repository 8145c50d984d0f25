/**
 * What a benchmark loop needs of a lock service's session, so that `bench:locks` and
 * `bench:compare` drive quorumlock and etcd through the same loops and measurements.
 */
export interface BenchSession {
  /** The session's stream or connection ended (quorumlock: the Acquire stream closed). */
  readonly ended: boolean;
  /** Open a session (quorumlock) or grant a lease (etcd) with this TTL. */
  open(ttlMs: number): Promise<void>;
  /** One keepalive; resolves once the service acknowledged it. */
  keepalive(): Promise<void>;
  /** Keep alive every TTL/3 until closed, as the SDK and etcd's clientv3 do. */
  keepAlive(ttlMs: number): void;
  /** Acquire `name` exclusively; resolves with its fencing token (etcd: the grant's revision). */
  lock(name: string): Promise<number>;
  release(name: string, token: number): Promise<void>;
  /** After the leader was killed: reach the session again through any of `endpoints`. */
  recover(endpoints: readonly string[]): Promise<void>;
  /** End the session as its SDK does on scope exit (quorumlock: close{}; etcd: revoke the lease). */
  close(): Promise<void>;
}

export type SystemName = 'quorumlock' | 'etcd';
