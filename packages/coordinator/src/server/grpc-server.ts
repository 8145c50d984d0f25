import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import type { Logger } from '@quorumlock/raft';
import type { Replica } from '../replica';
import type { Metrics } from '../metrics';
import { AdminService } from './admin-service';
import { grpcMetricsInterceptor } from './grpc-metrics';
import { LockService, type LockServiceOptions } from './lock-service';
import { packageDefinition, v1 } from './proto';

export interface ClientServer {
  readonly server: grpc.Server;
  readonly port: number;
  readonly lockService: LockService;
  shutdown(): Promise<void>;
}

/** Largest message a client may send; beyond it grpc-js answers RESOURCE_EXHAUSTED. */
export const MAX_CLIENT_MESSAGE_BYTES = 1 << 20;

/**
 * The client-facing gRPC server: LockService, AdminService, grpc.health.v1 (SERVING only for
 * `quorumlock.v1.LockService` on the leader, so a load balancer can find it) and server
 * reflection (so grpcurl and friends work).
 */
export async function startClientServer(
  replica: Replica,
  listen: string,
  opts: LockServiceOptions,
  logger: Logger,
  metrics?: Metrics,
): Promise<ClientServer> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_CLIENT_MESSAGE_BYTES,
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 5_000,
    'grpc.keepalive_permit_without_calls': 1,
    ...(metrics ? { interceptors: [grpcMetricsInterceptor(metrics)] } : {}),
  });
  const lockService = new LockService(replica, opts, logger, metrics);
  const admin = new AdminService(replica);
  server.addService(v1.LockService.service, lockService.handlers as unknown as grpc.UntypedServiceImplementation);
  server.addService(v1.AdminService.service, admin.handlers as unknown as grpc.UntypedServiceImplementation);
  const health = new HealthImplementation({ '': 'SERVING', 'quorumlock.v1.LockService': 'NOT_SERVING' });
  health.addToServer(server);
  const setHealth = (leader: boolean): void => health.setStatus('quorumlock.v1.LockService', leader ? 'SERVING' : 'NOT_SERVING');
  replica.on('leader', ({ isLeader }) => setHealth(isLeader));
  setHealth(replica.isLeader());
  // Reflection lists grpc.health.v1 too, so grpcurl can call Check without a proto file.
  const healthDefinition = protoLoader.loadSync(healthProtoPath, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  new ReflectionService({ ...packageDefinition, ...healthDefinition }).addToServer(server);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(listen, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
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
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
