/**
 * The optional mTLS overlay (deploy/overlays/mtls), checked offline like the base: every
 * cert-manager document passes @kubernetes-models/cert-manager's schema validation; the patch,
 * applied to the base StatefulSet as kustomize applies JSON 6902 appends, gives a StatefulSet
 * that passes the Kubernetes schema; and the certificates fit the server's TLS rules: one peer
 * certificate per ordinal naming exactly `quorumlock://<pod>`, a server certificate covering the
 * client Service, every pod's DNS name and 127.0.0.1, and each pod reading its own peer files.
 * (The committed YAML equal to the rendering is checked by manifests.test.ts, overlay included.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { Certificate, Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import { StatefulSet } from 'kubernetes-models/apps/v1';
import { APP, CLIENT_SERVICE, NAMESPACE, REPLICAS, peerDomain } from '../src/settings';

const base = path.resolve(__dirname, '..');
const overlay = path.resolve(base, '..', 'overlays', 'mtls');

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
}
interface CertSpec {
  secretName: string; isCA?: boolean; commonName?: string; dnsNames?: string[]; uris?: string[]; ipAddresses?: string[]; usages?: string[];
  issuerRef: { name: string; kind: string };
}
interface Op { op: string; path: string; value: unknown }
interface EnvVar { name: string; value?: string }
interface Volume { name: string; secret?: { secretName: string }; projected?: { sources: { secret: { name: string; items: { key: string; path: string }[] } }[] } }
interface PodSpec { containers: { name: string; env: EnvVar[]; volumeMounts: { name: string; mountPath: string }[] }[]; volumes: Volume[] }

const kustomization = parse(fs.readFileSync(path.join(overlay, 'kustomization.yaml'), 'utf8')) as {
  resources: string[]; patches: { path: string; target: { kind: string; name: string } }[]; namespace: string;
};
const docs: Doc[] = kustomization.resources
  .filter((r) => r.endsWith('.yaml'))
  .flatMap((file) => parseAllDocuments(fs.readFileSync(path.join(overlay, file), 'utf8')).map((d) => d.toJSON() as Doc));
const certs = docs.filter((d) => d.kind === 'Certificate').map((d) => ({ name: d.metadata.name, spec: d.spec as unknown as CertSpec }));
const pods = Array.from({ length: REPLICAS }, (_, i) => `${APP}-${i}`);

/** Applies the overlay's patch to the base StatefulSet the way kustomize does: each op appends to a list. */
function patchedStatefulSet(): Doc {
  const sts = parse(fs.readFileSync(path.join(base, 'manifests', 'statefulset.yaml'), 'utf8')) as Doc;
  const [patch] = kustomization.patches;
  expect(patch?.target).toMatchObject({ kind: 'StatefulSet', name: sts.metadata.name });
  const ops = parse(fs.readFileSync(path.join(overlay, patch?.path ?? ''), 'utf8')) as Op[];
  expect(ops.length).toBeGreaterThan(0);
  for (const op of ops) {
    expect(op.op).toBe('add');
    expect(op.path.endsWith('/-')).toBe(true);
    let at: unknown = sts;
    for (const key of op.path.slice(1, -2).split('/')) at = (at as Record<string, unknown>)[key];
    if (!Array.isArray(at)) throw new Error(`${op.path} does not name a list of the base StatefulSet`);
    at.push(op.value);
  }
  return sts;
}

test('the overlay applies the base and adds the CA, the certificates and the patch, in the base namespace', () => {
  expect(kustomization.resources[0]).toBe('../../k8s');
  expect(kustomization.namespace).toBe(NAMESPACE);
  expect(docs.map((d) => d.kind).sort()).toEqual([...Array(REPLICAS + 3).fill('Certificate'), 'Issuer', 'Issuer'].sort());
});

test('every cert-manager document passes its schema validation; the validation is real', () => {
  for (const d of docs) {
    const { apiVersion, kind, ...data } = d;
    expect(apiVersion).toBe('cert-manager.io/v1');
    const Model = kind === 'Certificate' ? Certificate : kind === 'Issuer' ? Issuer : undefined;
    if (Model === undefined) throw new Error(`no schema known for ${kind}`);
    expect(() => new Model(data as never).validate()).not.toThrow();
  }
  const { apiVersion: _a, kind: _k, ...broken } = structuredClone(docs.find((d) => d.kind === 'Certificate') as Doc);
  (broken.spec as { uris: unknown }).uris = 'quorumlock://x';
  expect(() => new Certificate(broken as never).validate()).toThrow(/uris/);
});

test('a CA issues everything: a self-signed issuer makes the CA certificate, the CA issuer signs the rest', () => {
  const issuers = docs.filter((d) => d.kind === 'Issuer');
  const caIssuer = issuers.find((d) => (d.spec as { ca?: unknown }).ca !== undefined);
  const selfSigned = issuers.find((d) => (d.spec as { selfSigned?: unknown }).selfSigned !== undefined);
  const ca = certs.find((c) => c.spec.isCA === true);
  expect(ca?.spec.issuerRef.name).toBe(selfSigned?.metadata.name);
  expect((caIssuer?.spec as { ca: { secretName: string } }).ca.secretName).toBe(ca?.spec.secretName);
  for (const c of certs.filter((x) => x.spec.isCA !== true)) expect(c.spec.issuerRef).toMatchObject({ name: caIssuer?.metadata.name, kind: 'Issuer' });
});

test('one peer certificate per ordinal, each naming exactly its own member id (quorumlock://<pod>) and DNS name', () => {
  const peers = certs.filter((c) => (c.spec.uris ?? []).length > 0);
  expect(peers).toHaveLength(REPLICAS);
  for (const pod of pods) {
    const mine = peers.filter((c) => c.spec.uris?.includes(`quorumlock://${pod}`));
    expect(mine).toHaveLength(1);
    const spec = mine[0]!.spec;
    expect(spec.uris).toEqual([`quorumlock://${pod}`]);
    expect(spec.dnsNames).toEqual([`${pod}.${peerDomain(NAMESPACE)}`]);
    // A member dials its peers and is dialled by them.
    expect(spec.usages).toEqual(expect.arrayContaining(['server auth', 'client auth']));
  }
});

test('the server certificate covers the client Service, every pod\'s DNS name (redirects go there) and 127.0.0.1 (lockctl in the pod)', () => {
  const server = certs.find((c) => c.spec.isCA !== true && (c.spec.uris ?? []).length === 0 && (c.spec.dnsNames ?? []).length > 0);
  expect(server).toBeDefined();
  const names = server!.spec.dnsNames ?? [];
  expect(names).toEqual(expect.arrayContaining([CLIENT_SERVICE, `${CLIENT_SERVICE}.${NAMESPACE}.svc`, `${CLIENT_SERVICE}.${NAMESPACE}.svc.cluster.local`]));
  for (const pod of pods) expect(names).toContain(`${pod}.${peerDomain(NAMESPACE)}`);
  expect(server!.spec.ipAddresses).toContain('127.0.0.1');
  expect(server!.spec.usages).toContain('server auth');
});

test('the patched StatefulSet passes the schema; each pod reads its own peer files and the server files, with client certificates required', () => {
  const sts = patchedStatefulSet();
  const { apiVersion: _a, kind: _k, ...data } = sts;
  expect(() => new StatefulSet(data as never).validate()).not.toThrow();
  const pod = (sts.spec as { template: { spec: PodSpec } }).template.spec;
  const server = pod.containers[0]!;
  expect(server.name).toBe('server');
  const env = new Map(server.env.map((e) => [e.name, e.value ?? '']));
  // The kubelet expands $(VAR) only from variables defined earlier in the list.
  server.env.forEach((e, i) => {
    for (const [, ref] of (e.value ?? '').matchAll(/\$\(([A-Z_]+)\)/g)) {
      expect(server.env.slice(0, i).some((x) => x.name === ref)).toBe(true);
    }
  });
  expect(env.get('QUORUMLOCK_CLIENT_CERT_AUTH')).toBe('true');
  const mountOf = (name: string): string => server.volumeMounts.find((m) => m.name === name)?.mountPath ?? '(not mounted)';
  const volume = (name: string): Volume => pod.volumes.find((v) => v.name === name) as Volume;

  // Server files: the server Certificate's Secret, mounted where the flags point.
  const serverVol = pod.volumes.find((v) => v.secret !== undefined && certs.some((c) => c.spec.secretName === v.secret?.secretName && (c.spec.uris ?? []).length === 0 && c.spec.isCA !== true));
  expect(serverVol).toBeDefined();
  for (const [flag, file] of [['QUORUMLOCK_CERT_FILE', 'tls.crt'], ['QUORUMLOCK_KEY_FILE', 'tls.key'], ['QUORUMLOCK_TRUSTED_CA_FILE', 'ca.crt']] as const) {
    expect(env.get(flag)).toBe(`${mountOf(serverVol!.name)}/${file}`);
  }

  // Peer files: for every pod, $(POD_NAME) leads to files of that pod's own peer Secret.
  const peerFlags = [['QUORUMLOCK_PEER_CERT_FILE', 'tls.crt'], ['QUORUMLOCK_PEER_KEY_FILE', 'tls.key'], ['QUORUMLOCK_PEER_TRUSTED_CA_FILE', 'ca.crt']] as const;
  const projectedName = pod.volumes.find((v) => v.projected !== undefined)?.name ?? '';
  const sources = volume(projectedName).projected?.sources ?? [];
  for (const podName of pods) {
    const secret = certs.find((c) => c.spec.uris?.[0] === `quorumlock://${podName}`)?.spec.secretName;
    for (const [flag, key] of peerFlags) {
      const file = (env.get(flag) ?? '').replace('$(POD_NAME)', podName);
      expect(file.startsWith(`${mountOf(projectedName)}/`)).toBe(true);
      const rel = file.slice(mountOf(projectedName).length + 1);
      const from = sources.filter((s) => s.secret.items.some((it) => it.path === rel));
      expect(from.map((s) => [s.secret.name, s.secret.items.find((it) => it.path === rel)?.key])).toEqual([[secret, key]]);
    }
  }
  // lockctl in the pod: the server's CA, and the pod's certificate as its client certificate.
  expect(env.get('QUORUMLOCK_CACERT')).toBe(env.get('QUORUMLOCK_TRUSTED_CA_FILE'));
  expect(env.get('QUORUMLOCK_CERT')).toBe(env.get('QUORUMLOCK_PEER_CERT_FILE'));
  expect(env.get('QUORUMLOCK_KEY')).toBe(env.get('QUORUMLOCK_PEER_KEY_FILE'));
  // Still only the data volume and /tmp writable: the TLS mounts are read-only Secrets.
  expect(server.volumeMounts.filter((m) => (m as { readOnly?: boolean }).readOnly !== true).map((m) => m.mountPath).sort()).toEqual(['/tmp', '/var/lib/quorumlock']);
});
