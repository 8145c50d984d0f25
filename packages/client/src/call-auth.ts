/**
 * Bearer-token authentication (issue 11 §3): every call of a LockClient or AdminClient carries
 * `authorization: Bearer <token>`. Sent by an interceptor rather than call credentials, because
 * grpc-js refuses call credentials on a plaintext channel, and a cluster may use tokens without TLS.
 */
import * as grpc from '@grpc/grpc-js';
import { InvalidArgumentError } from './errors';

export interface CallAuthOptions {
  /**
   * A bearer token from the servers' `--auth-token-file`, sent with every call. Omit it when
   * authorization is off, or when the client certificate (`tls`) names the caller. (Named so as
   * not to be confused with a lease's fencing `token`.)
   */
  readonly authToken?: string | undefined;
}

/** The interceptors that add the credentials of `options` (none without a token). */
export function authInterceptors(options: CallAuthOptions): grpc.Interceptor[] {
  const token = options.authToken;
  if (token === undefined) return [];
  if (token === '' || /\s/.test(token)) {
    throw new InvalidArgumentError(`authToken must be a non-empty string without spaces (got ${token === '' ? 'an empty string' : `one of ${token.length} characters with a space`})`);
  }
  const value = `Bearer ${token}`;
  return [
    (opts, next) =>
      new grpc.InterceptingCall(next(opts), {
        start(metadata, listener, start) {
          metadata.set('authorization', value);
          start(metadata, listener);
        },
      }),
  ];
}
