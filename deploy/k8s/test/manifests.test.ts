/**
 * deploy/k8s, checked offline: the committed YAML is exactly what the TypeScript renders; every
 * document, read back from the YAML, passes the OpenAPI schema validation that kubernetes-models
 * ships; and the StatefulSet follows the conventions of the etcd, Vault, Consul and ZooKeeper
 * sets (see the issue and docs/operations.md), asserted one by one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { ConfigMap, Service, ServiceAccount } from 'kubernetes-models/v1';
import { StatefulSet } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { renderFromDisk, staleFiles } from '../src/render-cli';
import { PEER_SERVICE, PORT_NAMES, TERMINATION_GRACE_SECONDS, DATA_DIR } from '../src/settings';

const root = path.resolve(__dirname, '..');

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  automountServiceAccountToken?: boolean;
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ServiceAccount': ServiceAccount,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'apps/v1/StatefulSet': StatefulSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

const kustomization = parse(fs.readFileSync(path.join(root, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
const docs: Doc[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(fs.readFileSync(path.join(root, file), 'utf8')).map((d) => d.toJSON() as Doc),
);
const one = (kind: string, name?: string): Doc => {
  const found = docs.filter((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
};

// The shapes the assertions below read (the schema test has already checked them).
interface Container {
  name: string; command: string[]; env: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports: { name: string; containerPort: number }[];
  startupProbe?: { httpGet?: { path: string; port: string } }; readinessProbe?: { httpGet?: { path: string; port: string } };
  livenessProbe?: { httpGet?: { path: string; port: string } };
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext: { allowPrivilegeEscalation: boolean; readOnlyRootFilesystem: boolean; runAsNonRoot: boolean; capabilities: { drop: string[] } };
  volumeMounts: { name: string; mountPath: string }[];
}
interface StsSpec {
  serviceName: string; replicas: number; podManagementPolicy: string; updateStrategy: { type: string };
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: {
    serviceAccountName: string; automountServiceAccountToken: boolean; terminationGracePeriodSeconds: number;
    securityContext: { runAsNonRoot: boolean; runAsUser: number; fsGroup: number; seccompProfile: { type: string } };
    affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { labelSelector: { matchLabels: Record<string, string> }; topologyKey: string }[] } };
    topologySpreadConstraints: { topologyKey: string; labelSelector: { matchLabels: Record<string, string> } }[];
    containers: Container[];
  } };
  volumeClaimTemplates: { metadata: { name: string }; spec: { accessModes: string[] } }[];
}
const sts = one('StatefulSet').spec as unknown as StsSpec;
const pod = sts.template.spec;
const server = pod.containers[0]!;
const podLabels = sts.template.metadata.labels;
/** A label selector selects the set's pods when every pair it names is on the pod template. */
const selectsPods = (sel: Record<string, string>): boolean => Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => podLabels[k] === v);

test('the committed YAML is what the TypeScript renders (pnpm k8s:render)', () => {
  expect(staleFiles(renderFromDisk())).toEqual([]);
});

test('every document passes the Kubernetes OpenAPI schema validation, read back from the YAML', () => {
  expect(docs.length).toBe(kustomization.resources.length);
  for (const d of docs) {
    const Model = MODELS[`${d.apiVersion}/${d.kind}`];
    if (Model === undefined) throw new Error(`no schema known for ${d.apiVersion} ${d.kind}`);
    const { apiVersion: _a, kind: _k, ...data } = d;
    expect(() => new Model(data as never).validate()).not.toThrow();
  }
  // The validation is real: a wrong type in a known field is refused.
  const broken = structuredClone(one('StatefulSet')) as Doc;
  (broken.spec as { replicas: unknown }).replicas = 'three';
  const { apiVersion: _a, kind: _k, ...data } = broken;
  expect(() => new StatefulSet(data as never).validate()).toThrow(/replicas/);
});

test('peers find each other through a headless Service that lists members before they are ready', () => {
  const peers = one('Service', PEER_SERVICE).spec as { clusterIP: string; publishNotReadyAddresses: boolean; selector: Record<string, string>; ports: { name: string }[] };
  expect(peers.clusterIP).toBe('None');
  expect(peers.publishNotReadyAddresses).toBe(true);
  expect(selectsPods(peers.selector)).toBe(true);
  expect(peers.ports.map((p) => p.name).sort()).toEqual([PORT_NAMES.client, PORT_NAMES.metrics, PORT_NAMES.peer].sort());
  expect(sts.serviceName).toBe(PEER_SERVICE);
  // Clients reach only ready members, through a ClusterIP Service.
  const clients = docs.filter((d) => d.kind === 'Service' && d.metadata.name !== PEER_SERVICE);
  expect(clients).toHaveLength(1);
  const cs = clients[0]!.spec as { type: string; publishNotReadyAddresses?: boolean; selector: Record<string, string> };
  expect(cs.type).toBe('ClusterIP');
  expect(cs.publishNotReadyAddresses ?? false).toBe(false);
  expect(selectsPods(cs.selector)).toBe(true);
});

test('the StatefulSet: parallel start, rolling updates, a volume per member at the data dir, node id = pod name', () => {
  expect(sts.podManagementPolicy).toBe('Parallel');
  expect(sts.updateStrategy.type).toBe('RollingUpdate');
  expect(selectsPods(sts.selector.matchLabels)).toBe(true);
  expect(sts.volumeClaimTemplates.map((v) => v.metadata.name)).toEqual(['data']);
  expect(sts.volumeClaimTemplates[0]!.spec.accessModes).toEqual(['ReadWriteOnce']);
  expect(server.volumeMounts).toContainEqual({ name: 'data', mountPath: DATA_DIR });
  const env = new Map(server.env.map((e) => [e.name, e]));
  expect(env.get('POD_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
  expect(env.get('QUORUMLOCK_ID')?.value).toBe('$(POD_NAME)');
  expect(env.get('QUORUMLOCK_DATA_DIR')?.value).toBe(DATA_DIR);
  // Members advertise stable DNS names under the headless Service, never pod IPs.
  expect(env.get('QUORUMLOCK_DISCOVERY_DOMAIN')?.value).toBe(`${PEER_SERVICE}.$(POD_NAMESPACE).svc.cluster.local`);
  expect(Number(env.get('QUORUMLOCK_BOOTSTRAP_EXPECT')?.value)).toBe(sts.replicas);
  // Scale-down cleanup: far above a pod's restart, so a rolling update never removes a member.
  expect(Number(env.get('QUORUMLOCK_DEAD_MEMBER_TIMEOUT_MS')?.value)).toBeGreaterThanOrEqual(30_000);
  expect(server.env.some((e) => e.name === 'QUORUMLOCK_INITIAL_CLUSTER')).toBe(false);
  // node receives SIGTERM itself: no npm or shell in between.
  expect(server.command[0]).toBe('node');
});

test('probes: startup, readiness on /readyz, liveness on /livez (never on quorum)', () => {
  expect(server.startupProbe?.httpGet).toEqual({ path: '/livez', port: PORT_NAMES.metrics });
  expect(server.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: PORT_NAMES.metrics });
  expect(server.livenessProbe?.httpGet).toEqual({ path: '/livez', port: PORT_NAMES.metrics });
  expect(server.ports.map((p) => p.name)).toContain(PORT_NAMES.metrics);
});

test('termination grace covers a leadership transfer; resources are requested and limited', () => {
  // The default election timeout is at most 1.2 s; a transfer needs one, and the drain a few seconds.
  expect(pod.terminationGracePeriodSeconds).toBe(TERMINATION_GRACE_SECONDS);
  expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(10);
  expect(server.resources.requests).toEqual(expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }));
  expect(server.resources.limits).toEqual(expect.objectContaining({ memory: expect.any(String) }));
});

test('scheduling: required anti-affinity per node and a zone spread, both selecting the set', () => {
  const anti = pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
  expect(anti).toHaveLength(1);
  expect(anti[0]!.topologyKey).toBe('kubernetes.io/hostname');
  expect(selectsPods(anti[0]!.labelSelector.matchLabels)).toBe(true);
  const zone = pod.topologySpreadConstraints.find((t) => t.topologyKey === 'topology.kubernetes.io/zone');
  expect(zone !== undefined && selectsPods(zone.labelSelector.matchLabels)).toBe(true);
});

test('the restricted security profile, and no service account token', () => {
  expect(pod.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }));
  expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
  expect(pod.securityContext.fsGroup).toBe(pod.securityContext.runAsUser);
  expect(server.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
  // With a read-only root, only the data volume and an emptyDir /tmp are writable.
  expect(server.volumeMounts.map((m) => m.mountPath).sort()).toEqual([DATA_DIR, '/tmp'].sort());
  const sa = one('ServiceAccount');
  expect(sa.automountServiceAccountToken).toBe(false);
  expect(pod.serviceAccountName).toBe(sa.metadata.name);
  expect(pod.automountServiceAccountToken).toBe(false);
});

test('a PodDisruptionBudget of one, and a NetworkPolicy that keeps the peer port to the set', () => {
  const pdb = one('PodDisruptionBudget').spec as { maxUnavailable: number; selector: { matchLabels: Record<string, string> } };
  expect(pdb.maxUnavailable).toBe(1);
  expect(selectsPods(pdb.selector.matchLabels)).toBe(true);
  type Rule = { from: { podSelector?: { matchLabels: Record<string, string> }; namespaceSelector?: unknown }[]; ports: { port: string }[] };
  const np = one('NetworkPolicy').spec as { podSelector: { matchLabels: Record<string, string> }; ingress: Rule[] };
  expect(selectsPods(np.podSelector.matchLabels)).toBe(true);
  const peerRules = np.ingress.filter((r) => r.ports.some((p) => p.port === PORT_NAMES.peer));
  expect(peerRules).toHaveLength(1);
  expect(peerRules[0]!.ports).toEqual([{ port: PORT_NAMES.peer, protocol: 'TCP' }]);
  expect(peerRules[0]!.from.every((f) => f.namespaceSelector === undefined && f.podSelector !== undefined && selectsPods(f.podSelector.matchLabels))).toBe(true);
  const clientRule = np.ingress.find((r) => r.ports.some((p) => p.port === PORT_NAMES.client));
  expect(clientRule?.from.some((f) => f.podSelector?.matchLabels['quorumlock-client'] === 'true')).toBe(true);
});

test('monitoring: a ServiceMonitor on every member, and the rules and dashboard of deploy/monitoring', () => {
  const sm = one('ServiceMonitor').spec as { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] };
  const scraped = docs.filter((d) => d.kind === 'Service' && Object.entries(sm.selector.matchLabels).every(([k, v]) => d.metadata.labels?.[k] === v));
  // The headless Service lists every member, ready or not: each is scraped.
  expect(scraped.map((d) => d.metadata.name)).toEqual([PEER_SERVICE]);
  expect(sm.endpoints).toEqual([expect.objectContaining({ port: PORT_NAMES.metrics, path: '/metrics' })]);
  const alerts = parse(fs.readFileSync(path.join(root, '..', 'monitoring', 'prometheus', 'alerts.yaml'), 'utf8')) as { groups: unknown[] };
  expect((one('PrometheusRule').spec as { groups: unknown[] }).groups).toEqual(alerts.groups);
  const dashboard = fs.readFileSync(path.join(root, '..', 'monitoring', 'grafana', 'quorumlock.json'), 'utf8');
  const cm = one('ConfigMap');
  expect(cm.metadata.labels?.['grafana_dashboard']).toBe('1');
  expect(cm.data?.['quorumlock.json']).toBe(dashboard);
});
