import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ClusterGrant } from '@quorumlock/chaos-check';

/**
 * The grants the coordinators logged (their audit log at debug level: `lock granted` with the
 * deciding entry's index), from every `*.log` in `clusterDir`. Every node logs every grant it
 * applies, so one grant appears once per node that applied it; they are merged by resource and
 * token. A node that had the entry only through a snapshot never logged it, but the node that
 * made the snapshot did, and its log file outlives a wipe of its data.
 */
export function readClusterGrants(clusterDir: string): ClusterGrant[] {
  const grants = new Map<string, ClusterGrant>();
  for (const f of fs.readdirSync(clusterDir)) {
    if (!f.endsWith('.log')) continue;
    for (const line of fs.readFileSync(path.join(clusterDir, f), 'utf8').split('\n')) {
      if (!line.includes('"lock granted"')) continue;
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue; // a line torn by SIGKILL
      }
      if (rec['msg'] !== 'lock granted') continue;
      const g: ClusterGrant = {
        index: Number(rec['index']),
        resource: String(rec['lock']),
        token: Number(rec['token']),
        client: String(rec['client'] ?? ''),
        session: String(rec['session']),
      };
      grants.set(`${g.resource}\u0000${g.token}`, g);
    }
  }
  return [...grants.values()];
}
