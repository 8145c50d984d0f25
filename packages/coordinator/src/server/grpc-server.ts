import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import type { Logger } from '@quorumlock/raft';
import type { Replica } from '../replica';
import type { Metrics } from '../metrics';
import { AdminService } from './admin-service';
import { AuditTrail } from './audit-log';
import type { Authorizer } from './auth/authorizer';
import { adminServiceRules, LOCK_SERVICE_RULES } from './auth/rules';
import { guardService } from './auth/service-guard';
import { createStreamAccess } from './auth/stream-access';
import { statusError, type StatusError } from './errors';
import { grpcMetricsInterceptor } from './grpc-metrics';
import { LockService, type LockServiceOptions } from './lock-service';
import { packageDefinition, v1 } from './proto';
import { schemaOf, withStrictUtf8 } from './strict-utf8';

export interface ClientServer {
  readonly server: grpc.Server;
  readonly port: number;
  readonly lockService: LockService;
  shutdown(): Promise<void>;
}

/** Largest message a client may send; beyond it grpc-js answers RESOURCE_EXHAUSTED. */
export const MAX_CLIENT_MESSAGE_BYTES = 1 << 20;

export interface ClientServerOptions {
  /**
   * HTTP/2 streams (calls, so Acquire sessions) one client connection may have open at once
   * (`grpc.max_concurrent_streams`); a client that opens more waits for one to end.
   */
  readonly maxStreamsPerConnection?: number;
  /** Authorization (issue 11): undefined means off, every caller may do everything. */
  readonly authorizer?: Authorizer | undefined;
  /** TLS of the port (tls.ts); plaintext by default. */
  readonly credentials?: grpc.ServerCredentials;
}

/**
 * The client-facing gRPC server: LockService, AdminService, grpc.health.v1 (SERVING only for
 * `quorumlock.v1.LockService` on the leader, so a load balancer can find it) and server
 * reflection (so grpcurl and friends work).
 */
/**
 * LockService handlers that answer UNAVAILABLE while this node's lock state is divergent
 * (consistency.ts): its view of locks and fences cannot be trusted, so it serves nothing.
 */
function refuseWhenDivergent(replica: Replica, handlers: object): grpc.UntypedServiceImplementation {
  const refusal = (): StatusError | null => {
    const d = replica.consistency.divergence;
    if (d === null) return null;
    return statusError('ERR_UNAVAILABLE', `node ${replica.id} is divergent: its lock state at index ${d.index} has hash ${d.hash}, the majority's is ${d.expectedHash}; use another node`);
  };
  const out: Record<string, unknown> = {};
  for (const [name, handler] of Object.entries(handlers)) {
    out[name] = (call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerUnaryCall<unknown, unknown>, callback?: grpc.sendUnaryData<unknown>) => {
      const err = refusal();
      if (err === null) {
        (handler as (c: unknown, cb?: unknown) => void)(call, callback);
      } else if (callback !== undefined) {
        callback(err);
      } else {
        (call as grpc.ServerWritableStream<unknown, unknown>).emit('error', err);
      }
    };
  }
  return out as grpc.UntypedServiceImplementation;
}

export async function startClientServer(
  replica: Replica,
  listen: string,
  opts: Omit<LockServiceOptions, 'access'>,
  logger: Logger,
  metrics?: Metrics,
  serverOpts: ClientServerOptions = {},
): Promise<ClientServer> {
  const server = new grpc.Server({
    ...(serverOpts.maxStreamsPerConnection === undefined ? {} : { 'grpc.max_concurrent_streams': serverOpts.maxStreamsPerConnection }),
    'grpc.max_receive_message_length': MAX_CLIENT_MESSAGE_BYTES,
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 5_000,
    'grpc.keepalive_permit_without_calls': 1,
    // Channelz bookkeeping costs every new stream CPU on the leader's one event loop, which a
    // burst of session opens cannot spare (issue 9 §8); nothing here reads channelz.
    'grpc.enable_channelz': 0,
    ...(metrics ? { interceptors: [grpcMetricsInterceptor(metrics)] } : {}),
  });
  const audit = new AuditTrail(logger, metrics?.auditEvents);
  const auth = serverOpts.authorizer;
  const lockService = new LockService(replica, { ...opts, access: createStreamAccess(auth, audit) }, logger, metrics);
  const admin = new AdminService(replica);
  // Request deserializers that also note invalid UTF-8 in string fields (strict-utf8.ts).
  const schema = schemaOf(packageDefinition);
  // Who is calling and may they, before anything else (auth/service-guard.ts); health and reflection stay open.
  const lockHandlers = guardService(refuseWhenDivergent(replica, lockService.handlers), LOCK_SERVICE_RULES, { auth, audit, service: 'LockService' });
  const adminHandlers = guardService(admin.handlers, adminServiceRules(replica), { auth, audit, service: 'AdminService' });
  server.addService(withStrictUtf8(v1.LockService.service, schema, 'quorumlock.v1'), lockHandlers);
  server.addService(withStrictUtf8(v1.AdminService.service, schema, 'quorumlock.v1'), adminHandlers);
  const health = new HealthImplementation({ '': 'SERVING', 'quorumlock.v1.LockService': 'NOT_SERVING' });
  health.addToServer(server);
  const setHealth = (leader: boolean): void =>
    health.setStatus('quorumlock.v1.LockService', leader && replica.consistency.divergence === null ? 'SERVING' : 'NOT_SERVING');
  replica.on('leader', ({ isLeader }) => setHealth(isLeader));
  replica.consistency.on('divergent', () => setHealth(false));
  setHealth(replica.isLeader());
  // Reflection lists grpc.health.v1 too, so grpcurl can call Check without a proto file.
  const healthDefinition = protoLoader.loadSync(healthProtoPath, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  new ReflectionService({ ...packageDefinition, ...healthDefinition }).addToServer(server);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(listen, serverOpts.credentials ?? grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    server,
    port,
    lockService,
    shutdown: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        lockService.stop();
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
