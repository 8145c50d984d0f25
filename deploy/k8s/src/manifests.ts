import { ServiceAccount, Service, PersistentVolumeClaim, type IContainer, type IEnvVar, type IProbe } from 'kubernetes-models/v1';
import { StatefulSet } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import {
  APP, CLIENT_LABEL, CLIENT_SERVICE, DATA_DIR, DEAD_MEMBER_TIMEOUT_MS, IMAGE, METRICS_NAMESPACE_LABEL, PEER_SERVICE, PORTS, PORT_NAMES, REPLICAS, RUN_AS,
  TERMINATION_GRACE_SECONDS, commonLabels, peerServiceLabels, selectorLabels,
} from './settings';

/** A model the base renders: validated before it is written, and again by the test from the YAML. */
export interface Manifest {
  toJSON(): unknown;
  validate(): void;
}

const meta = (name: string): { name: string; labels: Record<string, string> } => ({ name, labels: { ...commonLabels } });

export const serviceAccount = (): Manifest =>
  // No API access is needed: discovery is by DNS (the headless Service), so no token is mounted.
  new ServiceAccount({ metadata: meta(APP), automountServiceAccountToken: false });

/** Peers find each other here before they are ready, since becoming ready needs them. */
export const peerService = (): Manifest =>
  new Service({
    metadata: { name: PEER_SERVICE, labels: { ...peerServiceLabels } },
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: { ...selectorLabels },
      ports: [
        { name: PORT_NAMES.peer, port: PORTS.peer, targetPort: PORT_NAMES.peer },
        { name: PORT_NAMES.client, port: PORTS.client, targetPort: PORT_NAMES.client },
        { name: PORT_NAMES.metrics, port: PORTS.metrics, targetPort: PORT_NAMES.metrics },
      ],
    },
  });

/** Workers connect here; only ready members are behind it, and a follower redirects to the leader. */
export const clientService = (): Manifest =>
  new Service({
    metadata: meta(CLIENT_SERVICE),
    spec: {
      type: 'ClusterIP',
      selector: { ...selectorLabels },
      ports: [{ name: PORT_NAMES.client, port: PORTS.client, targetPort: PORT_NAMES.client }],
    },
  });

const fieldEnv = (name: string, fieldPath: string): IEnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } });

/** The server reads every setting from QUORUMLOCK_* variables (quorumlock-server --help lists them). */
export const serverEnv = (): IEnvVar[] => [
  fieldEnv('POD_NAME', 'metadata.name'),
  fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
  { name: 'QUORUMLOCK_ID', value: '$(POD_NAME)' },
  { name: 'QUORUMLOCK_DATA_DIR', value: DATA_DIR },
  { name: 'QUORUMLOCK_LISTEN_CLIENT', value: `0.0.0.0:${PORTS.client}` },
  { name: 'QUORUMLOCK_LISTEN_PEER', value: `0.0.0.0:${PORTS.peer}` },
  { name: 'QUORUMLOCK_METRICS_LISTEN', value: `0.0.0.0:${PORTS.metrics}` },
  // Members are <statefulset>-<ordinal>.<this domain>; ordinals below BOOTSTRAP_EXPECT found the
  // cluster, every other pod (or one with a lost volume) adds itself as a learner, promoted once
  // caught up. Pods past the founders that stay silent this long are removed by the leader: how a
  // scale-down leaves the configuration (README, "Deploy on Kubernetes").
  { name: 'QUORUMLOCK_DISCOVERY_DOMAIN', value: `${PEER_SERVICE}.$(POD_NAMESPACE).svc.cluster.local` },
  { name: 'QUORUMLOCK_BOOTSTRAP_EXPECT', value: String(REPLICAS) },
  { name: 'QUORUMLOCK_DEAD_MEMBER_TIMEOUT_MS', value: String(DEAD_MEMBER_TIMEOUT_MS) },
  { name: 'QUORUMLOCK_LOG_LEVEL', value: 'info' },
  // `kubectl exec quorumlock-0 -- lockctl status` talks to the local member.
  { name: 'QUORUMLOCK_ENDPOINTS', value: `127.0.0.1:${PORTS.client}` },
  // Heap below the container's memory limit, leaving room for LevelDB and gRPC buffers.
  { name: 'NODE_OPTIONS', value: '--max-old-space-size=384' },
];

const httpProbe = (path: string, extra: Omit<IProbe, 'httpGet'>): IProbe => ({ httpGet: { path, port: PORT_NAMES.metrics }, ...extra });

export const serverContainer = (): IContainer => ({
  name: 'server',
  image: IMAGE,
  imagePullPolicy: 'IfNotPresent',
  // node itself is PID 1's child of no shell or npm, so SIGTERM reaches the server's handler.
  command: ['node', '/app/server/dist/main.js'],
  env: serverEnv(),
  ports: [
    { name: PORT_NAMES.client, containerPort: PORTS.client, protocol: 'TCP' },
    { name: PORT_NAMES.peer, containerPort: PORTS.peer, protocol: 'TCP' },
    { name: PORT_NAMES.metrics, containerPort: PORTS.metrics, protocol: 'TCP' },
  ],
  // Replaying a long log after a crash may take a while: liveness waits for this to pass.
  startupProbe: httpProbe('/livez', { periodSeconds: 2, failureThreshold: 90, timeoutSeconds: 2 }),
  // Ready = member of a cluster with a known leader and applied close to the commit index.
  readinessProbe: httpProbe('/readyz', { periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2 }),
  // Liveness never depends on quorum: losing quorum must not restart every member.
  livenessProbe: httpProbe('/livez', { periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 5 }),
  resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
  securityContext: {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
  },
  volumeMounts: [
    { name: 'data', mountPath: DATA_DIR },
    { name: 'tmp', mountPath: '/tmp' },
  ],
});

export const statefulSet = (): Manifest =>
  new StatefulSet({
    metadata: meta(APP),
    spec: {
      serviceName: PEER_SERVICE,
      replicas: REPLICAS,
      // Members must start together to elect a leader (readiness needs one); rolling updates
      // still go one pod at a time, highest ordinal first.
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      selector: { matchLabels: { ...selectorLabels } },
      template: {
        metadata: { labels: { ...commonLabels } },
        spec: {
          serviceAccountName: APP,
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RUN_AS,
            runAsGroup: RUN_AS,
            fsGroup: RUN_AS,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          affinity: {
            // Two members on one node would lose quorum with that node.
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                { labelSelector: { matchLabels: { ...selectorLabels } }, topologyKey: 'kubernetes.io/hostname' },
              ],
            },
          },
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { ...selectorLabels } } },
          ],
          containers: [serverContainer()],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
        },
      },
      volumeClaimTemplates: [
        new PersistentVolumeClaim({
          metadata: { name: 'data', labels: { ...commonLabels } },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } },
        }),
      ],
    },
  });

/** Voluntary disruptions (drains, autoscaler) take at most one member: quorum holds for 3 or 5. */
export const disruptionBudget = (): Manifest =>
  new PodDisruptionBudget({ metadata: meta(APP), spec: { maxUnavailable: 1, selector: { matchLabels: { ...selectorLabels } } } });

export const networkPolicy = (): Manifest =>
  new NetworkPolicy({
    metadata: meta(APP),
    spec: {
      podSelector: { matchLabels: { ...selectorLabels } },
      policyTypes: ['Ingress'],
      ingress: [
        // The replication channel: only the set's own pods.
        { from: [{ podSelector: { matchLabels: { ...selectorLabels } } }], ports: [{ port: PORT_NAMES.peer, protocol: 'TCP' }] },
        // Workers labelled as clients, and members (redirects and membership calls).
        {
          from: [{ podSelector: { matchLabels: { [CLIENT_LABEL]: 'true' } } }, { podSelector: { matchLabels: { ...selectorLabels } } }],
          ports: [{ port: PORT_NAMES.client, protocol: 'TCP' }],
        },
        // Prometheus, from namespaces labelled for it.
        {
          from: [{ namespaceSelector: { matchLabels: { [METRICS_NAMESPACE_LABEL]: 'true' } } }],
          ports: [{ port: PORT_NAMES.metrics, protocol: 'TCP' }],
        },
      ],
    },
  });
