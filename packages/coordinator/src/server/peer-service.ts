/**
 * PeerService (raft.proto), served on the peer port next to RaftTransport.Send. With peer TLS on,
 * the caller is the member its verified peer certificate names (SAN URI quorumlock://<id>, the
 * same rule as the Raft streams, peer-tls.ts), and:
 * - Status: any certificate that names exactly one member id;
 * - CheckConsistency: a current member; a divergence notice only from the current leader;
 * - Join and Leave: only for the id the certificate names (a certificate is the credential to be
 *   added, and cannot add or remove anyone else); both are audited like `lockctl members`.
 * With peer TLS off every call is allowed, as the Raft link is open (the start-up warning says so).
 */
import type * as grpc from '@grpc/grpc-js';
import { memberIdsOf, verifiedCertificate, type Logger, type TlsCall } from '@quorumlock/raft';
import { PeerServiceClient } from '../peer-rpc';
import type { Replica } from '../replica';
import { AdminService } from './admin-service';
import { statusError, type StatusError } from './errors';

type Handler = grpc.handleUnaryCall<unknown, unknown>;
type Call = grpc.ServerUnaryCall<unknown, unknown> & TlsCall;

/**
 * The member id the caller's certificate names; null without peer TLS (no identity to check);
 * a StatusError when the certificate names no member or several.
 */
function callerOf(call: Call, tls: boolean): string | null | StatusError {
  if (!tls) return null;
  const cert = verifiedCertificate(call);
  const ids = cert === undefined ? [] : memberIdsOf(cert);
  const [id] = ids;
  if (ids.length === 1 && id !== undefined) return id;
  const what = ids.length === 0 ? 'names no member' : `names several members (${ids.join(', ')})`;
  return statusError('ERR_UNAUTHENTICATED', `the caller's peer certificate ${what}; it needs exactly one SAN URI quorumlock://<id>`);
}

function denied(message: string): StatusError {
  return statusError('ERR_PERMISSION_DENIED', message);
}

export interface PeerServiceOptions {
  /** The replica, once it exists (calls before then get UNAVAILABLE). */
  readonly replica: () => Replica | undefined;
  /** Whether peer TLS is on (and so whether the caller's certificate is checked). */
  readonly tls: boolean;
  readonly logger: Logger;
}

/** The service definition and handlers for GrpcTransportOptions.services. */
export function peerService(o: PeerServiceOptions): { service: grpc.ServiceDefinition; handlers: grpc.UntypedServiceImplementation } {
  let admin: AdminService | undefined;
  /** Runs `check` on the caller, then the AdminService handler `pick` chooses. */
  const guarded =
    (pick: (a: AdminService) => Handler, check: (caller: string, req: Record<string, unknown>, r: Replica) => string | null, action?: string): Handler =>
    (call, callback) => {
      const r = o.replica();
      if (r === undefined) {
        callback(statusError('ERR_UNAVAILABLE', 'this node is still starting'));
        return;
      }
      admin ??= new AdminService(r);
      const caller = callerOf(call as Call, o.tls);
      if (caller !== null && typeof caller !== 'string') {
        o.logger.warn({ remote: call.getPeer(), err: caller.details }, 'peer call refused');
        callback(caller);
        return;
      }
      const refusal = caller === null ? null : check(caller, call.request as Record<string, unknown>, r);
      if (refusal !== null) {
        o.logger.warn({ caller, remote: call.getPeer(), err: refusal }, 'peer call refused');
        callback(denied(refusal));
        return;
      }
      if (action === undefined) {
        pick(admin)(call, callback);
        return;
      }
      // A member added or removed through the peer port is an admin action like `lockctl members`.
      const req = call.request as { id?: unknown };
      pick(admin)(call, (err, res) => {
        o.logger.info(
          { audit: true, action, identity: caller ?? 'anonymous (peer TLS off)', remote: call.getPeer(), target: { member: String(req.id) }, outcome: err ? 'failed' : 'done', ...(err ? { detail: err.details } : {}) },
          `audit: ${action} by peer ${caller ?? '(no peer TLS)'}: ${err ? 'failed' : 'done'}`,
        );
        callback(err, res);
      });
    };
  const member = (caller: string, _req: unknown, r: Replica): string | null =>
    r.node.membersList().some((m) => m.id === caller) ? null : `member "${caller}" is not in this node's configuration`;
  const self = (action: string) => (caller: string, req: Record<string, unknown>): string | null =>
    req['id'] === caller ? null : `a peer certificate naming member "${caller}" may not ${action} member "${String(req['id'])}"`;
  const handlers: Record<string, Handler> = {
    status: guarded((a) => a.handlers.Status as Handler, () => null),
    checkConsistency: guarded(
      (a) => a.consistencyCheck(true) as Handler,
      (caller, req, r) => member(caller, req, r) ?? (req['divergent'] === true && caller !== r.node.leaderId() ? `only the leader may report a divergence, not "${caller}"` : null),
    ),
    join: guarded((a) => a.handlers.AddMember as Handler, self('add'), 'member-join'),
    leave: guarded((a) => a.handlers.RemoveMember as Handler, self('remove'), 'member-leave'),
  };
  return { service: PeerServiceClient.service, handlers };
}
