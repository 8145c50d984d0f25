/**
 * The wire types of lock.proto and raft.proto, generated (src/generated, `pnpm proto:gen`) for
 * the loader options in index.ts. `X` is what a sender may write (every field optional, 64-bit
 * integers also as strings or Longs); `X__Output` is what a receiver gets (defaults filled,
 * 64-bit integers as numbers, enums as names, the oneof's member named in `msg`).
 */
export type * from './generated/index';

/**
 * A received message with a `msg` oneof, as the union proto-loader's `oneofs: true` makes it at
 * run time: `msg` names the member that is set, and that member is present. (The generated
 * `__Output` types leave every member optional, which would make each reader check it again.)
 */
export type OneofUnion<T extends { msg?: string }> = {
  [K in NonNullable<T['msg']>]: { readonly msg: K } & { readonly [P in K & keyof T]-?: NonNullable<T[P]> };
}[NonNullable<T['msg']>];
