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
import type { PeerServiceDefinition, PeerServiceHandlers } from '@quorumlock/proto';
import { memberIdsOf, verifiedCertificate, type Logger, type TlsCall } from '@quorumlock/raft';
import { PeerServiceClient } from '../peer-rpc';
import type { Replica } from '../replica';
import { AdminService } from './admin-service';
import { statusError, type StatusError } from './errors';

/**
 * The member id the caller's certificate names; null without peer TLS (no identity to check);
 * a StatusError when the certificate names no member or several.
 */
function callerOf(call: TlsCall, tls: boolean): string | null | StatusError {
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

/** Who may make a call: null, or why the caller (the member its certificate names) may not. */
type Check<Req> = (caller: string, req: Req, r: Replica) => string | null;

/** The service definition and handlers for GrpcTransportOptions.services. */
export function peerService(o: PeerServiceOptions): { service: PeerServiceDefinition; handlers: PeerServiceHandlers } {
  let admin: AdminService | undefined;
  /**
   * Runs `check` on the caller, then the AdminService handler `pick` chooses; with `audit`, the
   * call is audited as that action on the member the request names.
   */
  const guarded =
    <Req, Res>(pick: (a: AdminService) => grpc.handleUnaryCall<Req, Res>, check: Check<Req>, audit?: { action: string; member: (req: Req) => string }): grpc.handleUnaryCall<Req, Res> =>
    (call, callback) => {
      const r = o.replica();
      if (r === undefined) {
        callback(statusError('ERR_UNAVAILABLE', 'this node is still starting'));
        return;
      }
      admin ??= new AdminService(r);
      const caller = callerOf(call, o.tls);
      if (caller !== null && typeof caller !== 'string') {
        o.logger.warn({ remote: call.getPeer(), err: caller.details }, 'peer call refused');
        callback(caller);
        return;
      }
      const refusal = caller === null ? null : check(caller, call.request, r);
      if (refusal !== null) {
        o.logger.warn({ caller, remote: call.getPeer(), err: refusal }, 'peer call refused');
        callback(denied(refusal));
        return;
      }
      if (audit === undefined) {
        pick(admin)(call, callback);
        return;
      }
      // A member added or removed through the peer port is an admin action like `lockctl members`.
      const { action } = audit;
      pick(admin)(call, (err, res) => {
        o.logger.info(
          { audit: true, action, identity: caller ?? 'anonymous (peer TLS off)', remote: call.getPeer(), target: { member: audit.member(call.request) }, outcome: err ? 'failed' : 'done', ...(err ? { detail: err.details } : {}) },
          `audit: ${action} by peer ${caller ?? '(no peer TLS)'}: ${err ? 'failed' : 'done'}`,
        );
        callback(err, res);
      });
    };
  const member = (caller: string, r: Replica): string | null =>
    r.node.membersList().some((m) => m.id === caller) ? null : `member "${caller}" is not in this node's configuration`;
  /** Join and Leave: only for the member the caller's certificate names. */
  const self =
    (action: string): Check<{ id: string }> =>
    (caller, req) =>
      req.id === caller ? null : `a peer certificate naming member "${caller}" may not ${action} member "${req.id}"`;
  const target = (req: { id: string }): string => req.id;
  const handlers: PeerServiceHandlers = {
    Status: guarded((a) => a.handlers.Status, () => null),
    CheckConsistency: guarded(
      (a) => a.consistencyCheck(true),
      (caller, req, r) => member(caller, r) ?? (req.divergent && caller !== r.node.leaderId() ? `only the leader may report a divergence, not "${caller}"` : null),
    ),
    Join: guarded((a) => a.handlers.AddMember, self('add'), { action: 'member-join', member: target }),
    Leave: guarded((a) => a.handlers.RemoveMember, self('remove'), { action: 'member-leave', member: target }),
  };
  return { service: PeerServiceClient.service, handlers };
}
