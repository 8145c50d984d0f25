/**
 * Type tests of the SDK's public API, checked by `pnpm typecheck` (tsc -p packages/client/test);
 * nothing here runs. They pin what a user's code relies on, so that a refactor that changes a
 * public signature fails the build instead of a user's compile.
 */
import { expectTypeOf } from 'expect-type';
import {
  AdminClient,
  type Lease,
  LockClient,
  type LockError,
  type LockHeldError,
  type LockLostError,
  type AcquireOptions,
  type LockClientOptions,
  type LockContext,
  type LockMode,
} from '../../src/index';

declare const client: LockClient;

// Constructing: endpoints as a list or a comma-separated string; nothing else is required.
expectTypeOf(LockClient).toBeConstructibleWith({ endpoints: ['127.0.0.1:6001'] });
expectTypeOf(LockClient).toBeConstructibleWith({ endpoints: '127.0.0.1:6001,127.0.0.1:6002', ttlMs: 5000 });
expectTypeOf<LockClientOptions>().toHaveProperty('endpoints');
// @ts-expect-error endpoints are required
new LockClient({});
// @ts-expect-error a TTL is a number of milliseconds
new LockClient({ endpoints: ['127.0.0.1:6001'], ttlMs: '10s' });

// Acquiring.
expectTypeOf(client.acquire).parameters.toEqualTypeOf<[name: string, options?: AcquireOptions]>();
expectTypeOf(client.acquire('orders/42')).toEqualTypeOf<Promise<Lease>>();
expectTypeOf(client.tryAcquire('orders/42')).toEqualTypeOf<Promise<Lease | null>>();
expectTypeOf<AcquireOptions['mode']>().toEqualTypeOf<LockMode | undefined>();
expectTypeOf<LockMode>().toEqualTypeOf<'exclusive' | 'shared'>();
expectTypeOf<AcquireOptions['signal']>().toEqualTypeOf<AbortSignal | undefined>();
// @ts-expect-error tryAcquire never waits, so it takes no wait timeout
void client.tryAcquire('orders/42', { waitTimeoutMs: 100 });

// withLock returns what the callback returns, sync or async; the context carries the fence.
expectTypeOf(client.withLock('a', () => 42)).toEqualTypeOf<Promise<number>>();
expectTypeOf(client.withLock('a', async () => 'done')).toEqualTypeOf<Promise<string>>();
expectTypeOf<LockContext['token']>().toEqualTypeOf<number>();
expectTypeOf<LockContext['signal']>().toEqualTypeOf<AbortSignal>();
expectTypeOf<LockContext['lease']>().toEqualTypeOf<Lease>();

// A lease: the fencing token, the abort signal, release, and `await using`.
expectTypeOf<Lease['token']>().toEqualTypeOf<number>();
expectTypeOf<Lease['signal']>().toEqualTypeOf<AbortSignal>();
expectTypeOf<Lease['release']>().returns.toEqualTypeOf<Promise<void>>();
expectTypeOf<Lease['assertValid']>().returns.toEqualTypeOf<void>();
expectTypeOf<Lease>().toMatchTypeOf<AsyncDisposable>();
expectTypeOf<LockClient>().toMatchTypeOf<AsyncDisposable>();
expectTypeOf(client.close()).toEqualTypeOf<Promise<void>>();

// Errors: one base class with a string code; the specific ones carry what a caller acts on.
expectTypeOf<LockError>().toMatchTypeOf<Error>();
expectTypeOf<LockError['code']>().toMatchTypeOf<string>();
expectTypeOf<LockHeldError>().toMatchTypeOf<LockError>();
expectTypeOf<LockLostError['token']>().toEqualTypeOf<number>();
expectTypeOf<LockLostError['lockName']>().toEqualTypeOf<string>();

// The operator client is constructed the same way.
expectTypeOf(AdminClient).toBeConstructibleWith({ endpoints: ['127.0.0.1:6001'] });
