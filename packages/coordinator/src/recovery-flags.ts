/** --restore and --force-new-cluster (recovery.ts): which combinations make sense. */
export interface RecoveryFlags {
  /** A backup file to seed this new member's empty data dir from ('' : none). */
  readonly restore: string;
  /** Rewrite the configuration to this node alone, keeping its data. */
  readonly forceNewCluster: boolean;
}

/** Returns the flags, or why they cannot be honoured (the caller raises it as a ConfigError). */
export function recoveryFlags(restore: string, forceNewCluster: boolean, join: boolean): RecoveryFlags | string {
  if (restore !== '' && forceNewCluster) return `--restore '${restore}' and --force-new-cluster exclude each other: a restore starts a new cluster from a file, a forced one from this node's own data`;
  if (restore !== '' && join) return `--restore '${restore}' seeds a member of the new cluster's --initial-cluster; a node that joins (--join, or a StatefulSet ordinal past --bootstrap-expect) copies the state from the leader instead`;
  if (forceNewCluster && join) return '--force-new-cluster keeps this node\'s data and makes it the only member; it cannot also --join';
  return { restore, forceNewCluster };
}
