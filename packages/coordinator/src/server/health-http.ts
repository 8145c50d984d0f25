import type * as http from 'node:http';
import type { Status } from '@quorumlock/raft';

/** What the health endpoints need of a Replica. */
export interface HealthSource {
  readonly id: string;
  readonly node: { status(): Status };
}

export interface HealthOptions {
  /** Ready only while committed-but-unapplied entries are at most this many. */
  readonly maxApplyLag: number;
}

/** Why this node is not ready, or undefined when it is. Pure, for tests. */
export function notReadyReason(st: Status, maxApplyLag: number): string | undefined {
  const member = st.confState.voters.includes(st.id) || st.confState.learners.includes(st.id);
  if (!member) return `node ${st.id} is not a voter or learner of the cluster (not added yet, or removed)`;
  if (st.lead === '') return `node ${st.id} knows no leader (term ${st.term}, role ${st.role}): no quorum reachable, or an election is under way`;
  const lag = st.commit - st.applied;
  if (lag > maxApplyLag) return `node ${st.id} has applied ${st.applied}, ${lag} entries behind its commit index ${st.commit} (the limit is ${maxApplyLag})`;
  return undefined;
}

/**
 * GET /livez and /readyz for the --metrics-listen HTTP server. Returns a handler that answers
 * those two paths and returns false for anything else.
 *
 * /livez answers 200 as long as the event loop runs this handler: it never looks at Raft, so an
 * orchestrator does not restart a healthy process for a cluster-wide problem (losing quorum).
 * /readyz answers 200 when this node is a member of a cluster with a known leader and has
 * applied within `maxApplyLag` of its commit index; 503 otherwise, with the reason in the body.
 */
export function healthHandler(src: HealthSource, opts: HealthOptions): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/livez' && path !== '/readyz') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end(`${req.method ?? ''} is not allowed on ${path}; use GET\n`);
      return true;
    }
    if (path === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return true;
    }
    const st = src.node.status();
    const reason = notReadyReason(st, opts.maxApplyLag);
    if (reason === undefined) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`ready: ${st.role} in term ${st.term}, leader ${st.lead}, applied ${st.applied} of ${st.commit}\n`);
    } else {
      res.writeHead(503, { 'content-type': 'text/plain' }).end(`not ready: ${reason}\n`);
    }
    return true;
  };
}
