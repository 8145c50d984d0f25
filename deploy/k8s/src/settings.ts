/**
 * The one place that names things: every manifest, the process harness that runs the server as
 * the StatefulSet would (tests/src/k8s-*), and the README take these values from here.
 */
export const APP = 'quorumlock';
/** The namespace the base renders for (kustomization `namespace:`); the mTLS overlay's DNS names include it. */
export const NAMESPACE = 'quorumlock';
export const PEER_SERVICE = `${APP}-peers`;
export const CLIENT_SERVICE = APP;
export const REPLICAS = 3;
export const IMAGE = `${APP}:0.1.0`;

export const PORTS = { client: 6001, peer: 7001, metrics: 8080 } as const;
export const PORT_NAMES = { client: 'grpc-client', peer: 'grpc-peer', metrics: 'http-metrics' } as const;

export const DATA_DIR = '/var/lib/quorumlock';
export const RUN_AS = 10001;

/**
 * Covers a leader's SIGTERM path: transfer leadership (an election timeout at most, 1.2 s by
 * default), drain streams and close LevelDB, with a wide margin for a slow disk.
 */
export const TERMINATION_GRACE_SECONDS = 30;

/**
 * A pod past the founders that the leader has not heard from this long is removed (scale-down).
 * Longer than any restart, drain or reschedule that brings the pod back with its volume, or that
 * would remove a member that is coming back.
 */
export const DEAD_MEMBER_TIMEOUT_MS = 60_000;

/** Pods that may reach the client port carry this label (NetworkPolicy). */
export const CLIENT_LABEL = `${APP}-client`;
/** Namespaces whose pods may scrape /metrics carry this label (NetworkPolicy). */
export const METRICS_NAMESPACE_LABEL = `${APP}-metrics`;

export const selectorLabels: Readonly<Record<string, string>> = {
  'app.kubernetes.io/name': APP,
  'app.kubernetes.io/component': 'server',
};
export const commonLabels: Readonly<Record<string, string>> = {
  ...selectorLabels,
  'app.kubernetes.io/part-of': APP,
};

/** The headless Service's own labels: the ServiceMonitor selects it, and so scrapes every member once. */
export const peerServiceLabels: Readonly<Record<string, string>> = { ...commonLabels, 'app.kubernetes.io/component': 'peers' };

/** The headless Service's domain in the pod's namespace: `<pod>.<this>` reaches a member. */
export const peerDomain = (namespaceRef: string): string => `${PEER_SERVICE}.${namespaceRef}.svc.cluster.local`;
