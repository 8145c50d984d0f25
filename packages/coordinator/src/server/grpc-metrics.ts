import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import type { Metrics } from '../metrics';

/** grpc status number -> its name (`9` -> `FAILED_PRECONDITION`); unknown numbers stay numeric. */
export function statusName(code: number): string {
  // A numeric enum maps numbers back to names; a number it does not know reads as undefined.
  const name: string | undefined = grpc.status[code];
  return name ?? String(code);
}

/**
 * A server interceptor that counts every call by method and final status name and times it
 * (for the Acquire stream: its lifetime). A call the client cancels never gets a status from
 * the server; it is counted as CANCELLED. Method labels are bounded by the services served.
 */
export function grpcMetricsInterceptor(metrics: Metrics): grpc.ServerInterceptor {
  return (descriptor, call) => {
    const started = performance.now();
    const method = descriptor.path.slice(descriptor.path.lastIndexOf('/') + 1) || descriptor.path;
    let counted = false;
    const finish = (code: number): void => {
      if (counted) return;
      counted = true;
      metrics.grpcRequests.inc({ method, code: statusName(code) });
      metrics.grpcSeconds.observe({ method }, (performance.now() - started) / 1000);
    };
    return new grpc.ServerInterceptingCall(
      call,
      new grpc.ResponderBuilder()
        .withStart((next) => next(new grpc.ServerListenerBuilder().withOnCancel(() => finish(grpc.status.CANCELLED)).build()))
        .withSendStatus((status, next) => {
          finish(status.code);
          next(status);
        })
        .build(),
    );
  };
}
