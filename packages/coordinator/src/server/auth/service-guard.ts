import * as grpc from '@grpc/grpc-js';
import type { AuditTrail } from '../audit-log';
import { LEADER_TRAILER } from '../errors';
import { ANONYMOUS, type Authorizer } from './authorizer';
import type { CallerCall } from './identity';
import type { Permission } from './policy';
import { callIdentities } from './stream-access';

/** An admin action's audit line: its name and target, found before the action runs (a revoke's victims are gone after). */
export interface AuditedAction {
  readonly action: string;
  readonly target: Readonly<Record<string, unknown>>;
  readonly reason?: string;
}

/** What one RPC needs: its permission (undefined: none, see the spec) and, for admin actions, its audit line. */
export interface MethodRule<Req = never> {
  readonly permission: ((req: Req) => Permission) | undefined;
  readonly audit?: (req: Req) => AuditedAction;
}

export type ServiceRules = Readonly<Record<string, MethodRule<never>>>;

export interface GuardContext {
  /** Undefined: authorization off (every call allowed, still audited as 'anonymous'). */
  readonly auth: Authorizer | undefined;
  readonly audit: AuditTrail;
  readonly service: string;
}

type AnyCall = CallerCall & { request?: unknown; emit(event: 'error', err: unknown): boolean; once(event: 'error' | 'finish', listener: (arg?: unknown) => void): unknown };
type Callback = (err: grpc.ServiceError | Partial<grpc.StatusObject> | null, value?: unknown) => void;

/** A handler with no rule of its own is an admin action: a method added later is closed until someone decides otherwise. */
const closedByDefault = (service: string, method: string): MethodRule<unknown> => ({
  permission: () => ({ kind: 'admin', action: method, resource: `(${service})` }),
});

/**
 * Wraps a service's handlers, interceptor-style: authentication (UNAUTHENTICATED), the method's
 * permission (PERMISSION_DENIED naming permission and resource), then the handler; the outcome of
 * an admin action is audited. The handlers themselves are untouched.
 */
export function guardService(handlers: object, rules: ServiceRules, ctx: GuardContext): grpc.UntypedServiceImplementation {
  const out: Record<string, unknown> = {};
  for (const [method, handler] of Object.entries(handlers)) {
    // Handlers are keyed as the proto names methods (`Status`); the rules in camelCase (`status`).
    const key = method.charAt(0).toLowerCase() + method.slice(1);
    const rule = (rules[key] as MethodRule<unknown> | undefined) ?? closedByDefault(ctx.service, method);
    const run = handler as (call: AnyCall, cb?: Callback) => void;
    out[method] = (call: AnyCall, callback?: Callback) => {
      const fail = (err: Partial<grpc.StatusObject>): void => {
        if (callback !== undefined) callback(err);
        else call.emit('error', err);
      };
      const remote = call.getPeer();
      let identity = ANONYMOUS;
      if (ctx.auth !== undefined) {
        const who = ctx.auth.authenticate(call);
        if (!who.ok) {
          ctx.audit.record({ action: 'authenticate', identity: ANONYMOUS, remote, target: { method: `${ctx.service}.${method}` }, outcome: 'unauthenticated', detail: who.reason });
          fail(who.error);
          return;
        }
        identity = who.identity;
        const permission = rule.permission?.(call.request);
        const denied = permission === undefined ? undefined : ctx.auth.authorize(identity, permission);
        if (denied !== undefined) {
          ctx.audit.record({ action: 'authorize', identity, remote, target: { method: `${ctx.service}.${method}` }, outcome: 'denied', detail: denied.reason });
          fail(denied.error);
          return;
        }
      }
      callIdentities.set(call, identity);
      if (rule.audit === undefined) {
        run(call, callback);
        return;
      }
      const a = rule.audit(call.request);
      const record = (err: grpc.ServiceError | Partial<grpc.StatusObject> | null): void => {
        // A follower's redirect did nothing: the leader audits the action when the caller follows it.
        const redirect = err?.code === grpc.status.UNAVAILABLE && (err.metadata?.get(LEADER_TRAILER).length ?? 0) > 0;
        if (redirect) return;
        ctx.audit.record({
          action: a.action, identity, remote, target: a.target, ...(a.reason === undefined ? {} : { reason: a.reason }),
          outcome: err === null ? 'ok' : 'failed', ...(err === null ? {} : { detail: err.details ?? '' }),
        });
      };
      if (callback === undefined) {
        // A server stream (SaveSnapshot): its outcome is its first error, else its end.
        let recorded = false;
        const once = (err: grpc.ServiceError | Partial<grpc.StatusObject> | null): void => {
          if (recorded) return;
          recorded = true;
          record(err);
        };
        call.once('error', (err: unknown) => once(err as Partial<grpc.StatusObject>));
        call.once('finish', () => once(null));
        run(call, callback);
        return;
      }
      run(call, (err, value) => {
        record(err);
        callback(err, value);
      });
    };
  }
  return out as grpc.UntypedServiceImplementation;
}
