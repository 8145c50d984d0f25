import { stringify } from 'yaml';
import { clientService, disruptionBudget, networkPolicy, peerService, serviceAccount, statefulSet, type Manifest } from './manifests';
import { dashboardConfigMap, prometheusRule, serviceMonitor } from './monitoring';
import { mtlsOverlay } from './mtls';
import { APP, NAMESPACE } from './settings';

/** What the base is made from outside this package: deploy/monitoring's rules and dashboard. */
export interface MonitoringSources {
  readonly alertsYaml: string;
  readonly dashboardJson: string;
}

const HEADER = '# Generated from deploy/k8s/src by `pnpm k8s:render`; edit the TypeScript, not this file.\n';

/** Every manifest of the base, by the file it is written to under deploy/k8s/. */
export function baseManifests(src: MonitoringSources): ReadonlyArray<readonly [file: string, manifest: Manifest]> {
  return [
    ['manifests/serviceaccount.yaml', serviceAccount()],
    ['manifests/service-peers.yaml', peerService()],
    ['manifests/service-client.yaml', clientService()],
    ['manifests/statefulset.yaml', statefulSet()],
    ['manifests/poddisruptionbudget.yaml', disruptionBudget()],
    ['manifests/networkpolicy.yaml', networkPolicy()],
    ['manifests/servicemonitor.yaml', serviceMonitor()],
    ['manifests/prometheusrule.yaml', prometheusRule(src.alertsYaml)],
    ['manifests/dashboard-configmap.yaml', dashboardConfigMap(src.dashboardJson)],
  ];
}

/** The files of deploy/k8s as `pnpm k8s:render` writes them: path -> content. */
export function renderFiles(src: MonitoringSources): Map<string, string> {
  const out = new Map<string, string>();
  const manifests = baseManifests(src);
  for (const [file, m] of manifests) {
    m.validate();
    out.set(file, HEADER + stringify(m.toJSON(), { lineWidth: 0 }));
  }
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace: NAMESPACE,
    labels: [{ pairs: { 'app.kubernetes.io/managed-by': 'kustomize' }, includeSelectors: false }],
    resources: manifests.map(([file]) => file),
    images: [{ name: 'quorumlock', newTag: '0.1.0' }],
  };
  out.set('kustomization.yaml', HEADER + stringify(kustomization, { lineWidth: 0 }));
  for (const [file, text] of renderMtlsOverlay()) out.set(`${MTLS_DIR}/${file}`, text);
  return out;
}

/**
 * Where the optional mTLS overlay lives, relative to deploy/k8s: deploy/overlays/mtls. Not under
 * deploy/k8s, because kustomize refuses a base that contains its own overlay (a cycle).
 */
export const MTLS_DIR = '../overlays/mtls';

/** The mTLS overlay's files (mtls.ts): the cert-manager resources, the StatefulSet patch, its kustomization. */
function renderMtlsOverlay(): Map<string, string> {
  const out = new Map<string, string>();
  const { resources, patch } = mtlsOverlay();
  for (const [file, manifests] of resources) {
    for (const m of manifests) m.validate();
    out.set(file, HEADER + manifests.map((m) => stringify(m.toJSON(), { lineWidth: 0 })).join('---\n'));
  }
  out.set(patch[0], HEADER + stringify(patch[1], { lineWidth: 0 }));
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace: NAMESPACE,
    resources: ['../../k8s', ...resources.map(([file]) => file)],
    patches: [{ path: patch[0], target: { group: 'apps', version: 'v1', kind: 'StatefulSet', name: APP } }],
  };
  out.set('kustomization.yaml', HEADER + stringify(kustomization, { lineWidth: 0 }));
  return out;
}
