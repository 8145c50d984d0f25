import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ClusterGrant, ClusterSessionEnd } from '@quorumlock/chaos-check';

/** What the coordinators' audit logs say about ownership. */
export interface ClusterLog {
  readonly grants: ClusterGrant[];
  readonly sessionEnds: ClusterSessionEnd[];
}

/**
 * Reads the audit log (debug level: `lock granted`, `session expired`, `session closed`, each
 * with the deciding entry's index) from every `*.log` in `clusterDir`. Every node logs every
 * entry it applies, so one decision appears once per node that applied it; they are merged by
 * resource and token, or by session. A node that had the entry only through a snapshot never
 * logged it, but the node that made the snapshot did, and its log file outlives a wipe of its data.
 */
export function readClusterLog(clusterDir: string): ClusterLog {
  const grants = new Map<string, ClusterGrant>();
  const ends = new Map<string, ClusterSessionEnd>();
  for (const f of fs.readdirSync(clusterDir)) {
    if (!f.endsWith('.log')) continue;
    for (const line of fs.readFileSync(path.join(clusterDir, f), 'utf8').split('\n')) {
      if (!line.includes('"msg":"lock granted"') && !line.includes('"msg":"session expired"') && !line.includes('"msg":"session closed"')) continue;
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue; // a line torn by SIGKILL
      }
      const index = Number(rec['index']);
      const session = String(rec['session']);
      const client = String(rec['client'] ?? '');
      if (rec['msg'] === 'lock granted') {
        const g: ClusterGrant = { index, resource: String(rec['lock']), token: Number(rec['token']), client, session };
        grants.set(`${g.resource}\u0000${g.token}`, g);
      } else {
        ends.set(session, { index, session, client });
      }
    }
  }
  return { grants: [...grants.values()], sessionEnds: [...ends.values()] };
}
