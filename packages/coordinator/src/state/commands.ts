/**
 * The commands the leader proposes to the lock state machine, one per Raft entry (or several
 * stream requests in one `batch` entry), as a union
 * discriminated on `type`. Every command carries `stamp`: the leader's wall clock (ms since the
 * epoch) when it proposed the entry; it is the machine's only source of time.
 *
 * The server builds these from client messages without judging their values: the machine
 * validates names, capacities, permits and so on, so that an invalid request gets the same
 * answer on every replica and after a replay. `parseCommand` only checks the shape (field types)
 * of decoded data.
 *
 * A new term needs no command: the machine notices the term change on the first entry it
 * applies from that term. A session resumed after a failover is a `resumeSession` (a renewal
 * that also answers with the session's holds).
 */

export type LockMode = 'exclusive' | 'shared';

interface Stamped {
  /** Leader wall clock in ms; the machine's `now` becomes `max(now, stamp)`. */
  readonly stamp: number;
}

/**
 * Who may resume a session (issue 11): the hash of the secret the leader gave the opening stream
 * (the secret itself is never replicated) and, with authorization on, the caller's identity.
 * Both are chosen by the server before proposing, so every replica stores the same values.
 * Absent in entries written before sessions had owners.
 */
export interface SessionClaim {
  readonly secretHash?: string;
  /** The caller's identity; absent when authorization is off (then only the secret counts). */
  readonly owner?: string;
}

/** Start a session. `sessionId` is chosen by the leader (unique, e.g. random). */
export interface OpenSessionCommand extends Stamped, SessionClaim {
  readonly type: 'openSession';
  readonly sessionId: string;
  readonly ttlMs: number;
  readonly clientName: string;
}

/** A client comes back (after a failover): renews the session and reports its holds, if its claim matches the opener's. */
export interface ResumeSessionCommand extends Stamped, SessionClaim {
  readonly type: 'resumeSession';
  readonly sessionId: string;
}

/** One batch of keepalives: each known session's last renewal becomes `now`. */
export interface RenewCommand extends Stamped {
  readonly type: 'renew';
  readonly sessionIds: readonly string[];
}

/** Candidates for expiry picked by the leader; only those whose deadline has passed at apply expire. */
export interface ExpireSessionsCommand extends Stamped {
  readonly type: 'expireSessions';
  readonly sessionIds: readonly string[];
}

/** The client ends its session: every hold is released (no lock-delay), every wait cancelled. */
export interface CloseSessionCommand extends Stamped {
  readonly type: 'closeSession';
  readonly sessionId: string;
}

/** lock.proto `LockRequest`. Zero values mean what the proto says (capacity 0 = 1, permits 0 = 1). */
export interface LockCommand extends Stamped {
  readonly type: 'lock';
  readonly sessionId: string;
  readonly requestId: number;
  readonly name: string;
  readonly capacity: number;
  readonly mode: LockMode;
  /** 0: wait until granted, cancelled or the session ends. */
  readonly waitTimeoutMs: number;
  readonly tryOnly: boolean;
  readonly lockDelayMs: number;
  readonly permits: number;
  readonly priority: number;
}

export interface ReleaseCommand extends Stamped {
  readonly type: 'release';
  readonly sessionId: string;
  readonly requestId: number;
  readonly name: string;
  readonly token: number;
}

/** lock.proto `CancelRequest`: `requestId` is the id of the lock request to cancel. */
export interface CancelCommand extends Stamped {
  readonly type: 'cancel';
  readonly sessionId: string;
  readonly requestId: number;
}

/**
 * Sets the resource's fenced value. Any current holder may put (token = its hold); on a
 * semaphore the holders share one value and the last put in log order wins.
 */
export interface PutCommand extends Stamped {
  readonly type: 'put';
  readonly sessionId: string;
  readonly requestId: number;
  readonly name: string;
  readonly token: number;
  /** The new fenced value; empty clears it. */
  readonly value: Uint8Array;
}

/**
 * Advances time only. Wait timeouts and lock-delay ends are processed at the start of every
 * apply, so the leader proposes a tick at `nextTimerAt()` when no other entry is due.
 */
export interface TickCommand extends Stamped {
  readonly type: 'tick';
}

/**
 * Admin: take a hold away (every hold of `name` when `token` is absent); holders get `lost`
 * with `reason` (default "revoked by an administrator"). Like an expiry, and unlike a release,
 * it starts the hold's lock-delay: the revoked holder may still be acting.
 */
export interface RevokeCommand extends Stamped {
  readonly type: 'revoke';
  readonly name: string;
  readonly token?: number;
  readonly reason: string;
}

/** Admin: expire a session now, whatever its deadline (its holds end as by expiry). */
export interface AdminExpireSessionCommand extends Stamped {
  readonly type: 'adminExpireSession';
  readonly sessionId: string;
}

/**
 * Admin: drop the fenced value of `name` (frees value quota); the resource goes too if nothing
 * else keeps it (no holders, waiters or lock-delay). Holders keep their holds; later grants
 * carry an empty value.
 */
export interface DeleteValueCommand extends Stamped {
  readonly type: 'deleteValue';
  readonly name: string;
}

/** The requests of a session's stream: answered by events addressed to it, so they can share an entry. */
export type BatchableCommand = LockCommand | ReleaseCommand | CancelCommand | PutCommand;

/**
 * Several stream requests in one entry, in the order they arrived (state/batch.ts). Each runs as
 * if it were an entry of its own at this entry's index: its stamp moves time on, due timers fire,
 * it is deduplicated and answered on its own. Grants it makes are numbered from the index on, as
 * several grants of one entry always are. The leader stamps the batch and its requests alike.
 */
export interface BatchCommand extends Stamped {
  readonly type: 'batch';
  readonly commands: readonly BatchableCommand[];
}

export type Command =
  | BatchCommand
  | OpenSessionCommand
  | ResumeSessionCommand
  | RenewCommand
  | ExpireSessionsCommand
  | CloseSessionCommand
  | LockCommand
  | ReleaseCommand
  | CancelCommand
  | PutCommand
  | TickCommand
  | RevokeCommand
  | AdminExpireSessionCommand
  | DeleteValueCommand;

export type ParseResult = { readonly ok: true; readonly command: Command } | { readonly ok: false; readonly message: string };

class ShapeError extends Error {}

type Fields = Record<string, unknown>;

function field(o: Fields, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

function str(o: Fields, key: string): string {
  const v = field(o, key);
  if (typeof v !== 'string') throw new ShapeError(`field ${key} must be a string, got ${typeof v}`);
  return v;
}

/** A number field; absent means `fallback` when one is given (fields added later default to 0). */
function num(o: Fields, key: string, fallback?: number): number {
  const v = field(o, key);
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ShapeError(`field ${key} must be a finite number, got ${String(v)}`);
  return v;
}

/** The optional ownership fields of openSession and resumeSession (absent in older entries). */
function claim(o: Fields): SessionClaim {
  const secretHash = field(o, 'secretHash') === undefined ? undefined : str(o, 'secretHash');
  const owner = field(o, 'owner') === undefined ? undefined : str(o, 'owner');
  return { ...(secretHash === undefined ? {} : { secretHash }), ...(owner === undefined ? {} : { owner }) };
}

function bool(o: Fields, key: string): boolean {
  const v = field(o, key);
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new ShapeError(`field ${key} must be a boolean, got ${typeof v}`);
  return v;
}

function strList(o: Fields, key: string): string[] {
  const v = field(o, key);
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string')) {
    throw new ShapeError(`field ${key} must be a list of strings`);
  }
  return v;
}

function bytes(o: Fields, key: string): Uint8Array {
  const v = field(o, key);
  if (v === undefined) return new Uint8Array(0);
  if (!(v instanceof Uint8Array)) throw new ShapeError(`field ${key} must be bytes`);
  return v;
}

function mode(o: Fields): LockMode {
  const v = field(o, 'mode');
  if (v === undefined) return 'exclusive';
  if (v !== 'exclusive' && v !== 'shared') throw new ShapeError(`field mode must be 'exclusive' or 'shared', got ${String(v)}`);
  return v;
}

/**
 * Checks that decoded data has the shape of a `Command` and returns a fresh, typed copy (never
 * the decoded object itself). Numbers are only checked to be finite here; their ranges are the
 * machine's business. Optional lock options default to their zero values.
 */
export function parseCommand(data: unknown): ParseResult {
  try {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new ShapeError('a command must be a map');
    const o = data as Fields;
    const type = str(o, 'type');
    const stamp = num(o, 'stamp');
    if (!Number.isSafeInteger(stamp) || stamp < 0) throw new ShapeError(`stamp ${stamp} is not a non-negative integer`);
    switch (type) {
      case 'openSession':
        return done({ type, stamp, sessionId: str(o, 'sessionId'), ttlMs: num(o, 'ttlMs'), clientName: str(o, 'clientName'), ...claim(o) });
      case 'resumeSession':
        return done({ type, stamp, sessionId: str(o, 'sessionId'), ...claim(o) });
      case 'closeSession':
      case 'adminExpireSession':
        return done({ type, stamp, sessionId: str(o, 'sessionId') });
      case 'renew':
      case 'expireSessions':
        return done({ type, stamp, sessionIds: strList(o, 'sessionIds') });
      case 'lock':
        return done({
          type,
          stamp,
          sessionId: str(o, 'sessionId'),
          requestId: num(o, 'requestId'),
          name: str(o, 'name'),
          capacity: num(o, 'capacity', 0),
          mode: mode(o),
          waitTimeoutMs: num(o, 'waitTimeoutMs', 0),
          tryOnly: bool(o, 'tryOnly'),
          lockDelayMs: num(o, 'lockDelayMs', 0),
          permits: num(o, 'permits', 0),
          priority: num(o, 'priority', 0),
        });
      case 'release':
        return done({ type, stamp, sessionId: str(o, 'sessionId'), requestId: num(o, 'requestId'), name: str(o, 'name'), token: num(o, 'token') });
      case 'cancel':
        return done({ type, stamp, sessionId: str(o, 'sessionId'), requestId: num(o, 'requestId') });
      case 'put':
        return done({
          type,
          stamp,
          sessionId: str(o, 'sessionId'),
          requestId: num(o, 'requestId'),
          name: str(o, 'name'),
          token: num(o, 'token'),
          value: bytes(o, 'value'),
        });
      case 'tick':
        return done({ type, stamp });
      case 'deleteValue':
        return done({ type, stamp, name: str(o, 'name') });
      case 'batch':
        return done({ type, stamp, commands: batchable(o) });
      case 'revoke': {
        const name = str(o, 'name');
        const reason = field(o, 'reason') === undefined ? '' : str(o, 'reason');
        const token = field(o, 'token');
        if (token === undefined || token === null) return done({ type, stamp, name, reason });
        return done({ type, stamp, name, reason, token: num(o, 'token') });
      }
      default:
        throw new ShapeError(`unknown command type '${type.slice(0, 64)}'`);
    }
  } catch (err) {
    if (err instanceof ShapeError) return { ok: false, message: err.message };
    throw err;
  }
}

const BATCHABLE: ReadonlySet<string> = new Set(['lock', 'release', 'cancel', 'put']);

/** A batch's requests, each shape-checked as a command of its own; nothing else may be batched. */
function batchable(o: Fields): BatchableCommand[] {
  const v = field(o, 'commands');
  if (!Array.isArray(v) || v.length === 0) throw new ShapeError('field commands must be a non-empty list');
  return v.map((item: unknown, i) => {
    const parsed = parseCommand(item);
    if (!parsed.ok) throw new ShapeError(`commands[${i}]: ${parsed.message}`);
    if (!BATCHABLE.has(parsed.command.type)) throw new ShapeError(`commands[${i}]: a ${parsed.command.type} command cannot be batched`);
    return parsed.command as BatchableCommand;
  });
}

function done(command: Command): ParseResult {
  return { ok: true, command };
}
