/**
 * The optional mTLS overlay (deploy/overlays/mtls, `kubectl apply -k deploy/overlays/mtls`):
 * cert-manager issues a CA, a server certificate for the client port, and one peer certificate
 * per StatefulSet ordinal; a patch mounts them and sets the TLS flags (README "Securing a cluster").
 *
 * Peer identity is the certificate's single URI SAN `quorumlock://<member id>`, and a member's id
 * is its pod name, so every pod needs a certificate of its own: one Certificate per ordinal of
 * REPLICAS. A StatefulSet's pods share one template, so every pod mounts all of them (a projected
 * volume, one directory per pod name) and each server reads only its own through $(POD_NAME). The
 * cost: each pod can read every member's peer key. Where that matters, issue per-pod keys with
 * cert-manager's csi-driver instead (not shipped here).
 */
import { Certificate, Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import type { IEnvVar, IVolume, IVolumeMount } from 'kubernetes-models/v1';
import type { Manifest } from './manifests';
import { APP, CLIENT_SERVICE, NAMESPACE, REPLICAS, commonLabels, peerDomain } from './settings';

export const TLS_DIR = '/etc/quorumlock/tls';
export const CA_SECRET = `${APP}-ca`;
export const SERVER_SECRET = `${APP}-server-tls`;
export const peerSecret = (ordinal: number): string => `${APP}-peer-${ordinal}`;
export const podName = (ordinal: number): string => `${APP}-${ordinal}`;
/** The example worker identity (its CN is what --auth-policy-file binds roles to). */
export const WORKER_CERT = `${APP}-worker`;

const SELF_SIGNED = `${APP}-selfsigned`;
const CA_ISSUER = `${APP}-ca`;
const meta = (name: string): { name: string; labels: Record<string, string> } => ({ name, labels: { ...commonLabels, 'app.kubernetes.io/component': 'tls' } });
const ecdsa = { algorithm: 'ECDSA' as const, size: 256, rotationPolicy: 'Always' as const };

/** A self-signed issuer only to make the CA, then the CA issuer everything else comes from. */
export const issuers = (): Manifest[] => [
  new Issuer({ metadata: meta(SELF_SIGNED), spec: { selfSigned: {} } }),
  new Certificate({
    metadata: meta(CA_SECRET),
    spec: {
      isCA: true,
      commonName: `${APP}-ca`,
      secretName: CA_SECRET,
      duration: '87600h',
      // The CA keeps its key when renewed, so certificates it signed stay trusted.
      privateKey: { ...ecdsa, rotationPolicy: 'Never' },
      issuerRef: { name: SELF_SIGNED, kind: 'Issuer', group: 'cert-manager.io' },
    },
  }),
  new Issuer({ metadata: meta(CA_ISSUER), spec: { ca: { secretName: CA_SECRET } } }),
];

const issuerRef = { name: CA_ISSUER, kind: 'Issuer', group: 'cert-manager.io' } as const;
/** Rotated well before expiry; the server re-reads the files (--tls-reload-ms) without a restart. */
const lifetime = { duration: '2160h', renewBefore: '360h' } as const;

/** Every name a client may dial: the client Service, every member's stable DNS name (followers redirect there), and localhost for `kubectl exec ... lockctl`. */
export function serverDnsNames(): string[] {
  const svc = [CLIENT_SERVICE, `${CLIENT_SERVICE}.${NAMESPACE}`, `${CLIENT_SERVICE}.${NAMESPACE}.svc`, `${CLIENT_SERVICE}.${NAMESPACE}.svc.cluster.local`];
  const pods = Array.from({ length: REPLICAS }, (_, i) => `${podName(i)}.${peerDomain(NAMESPACE)}`);
  // Pods added by a scale-up past REPLICAS are covered by the wildcard.
  return [...svc, ...pods, `*.${peerDomain(NAMESPACE)}`, 'localhost'];
}

export const serverCertificate = (): Manifest =>
  new Certificate({
    metadata: meta(SERVER_SECRET),
    spec: {
      secretName: SERVER_SECRET,
      commonName: `${CLIENT_SERVICE}.${NAMESPACE}.svc`,
      dnsNames: serverDnsNames(),
      ipAddresses: ['127.0.0.1'],
      usages: ['server auth', 'digital signature', 'key encipherment'],
      privateKey: ecdsa,
      issuerRef,
      ...lifetime,
    },
  });

/** Member `<set>-<i>`: exactly one URI SAN naming it (peer-tls.ts), and its DNS name; it dials and is dialled, so both usages. */
export const peerCertificate = (ordinal: number): Manifest =>
  new Certificate({
    metadata: meta(peerSecret(ordinal)),
    spec: {
      secretName: peerSecret(ordinal),
      commonName: podName(ordinal),
      uris: [`quorumlock://${podName(ordinal)}`],
      dnsNames: [`${podName(ordinal)}.${peerDomain(NAMESPACE)}`],
      usages: ['server auth', 'client auth', 'digital signature', 'key encipherment'],
      privateKey: ecdsa,
      issuerRef,
      ...lifetime,
    },
  });

export const peerCertificates = (): Manifest[] => Array.from({ length: REPLICAS }, (_, i) => peerCertificate(i));

/** A client certificate for workers in this namespace (mount its Secret; CN = the identity). */
export const workerCertificate = (): Manifest =>
  new Certificate({
    metadata: meta(WORKER_CERT),
    spec: { secretName: `${WORKER_CERT}-tls`, commonName: 'worker', usages: ['client auth', 'digital signature', 'key encipherment'], privateKey: ecdsa, issuerRef, ...lifetime },
  });

const PEER_DIR = `${TLS_DIR}/peer`;
const SERVER_DIR = `${TLS_DIR}/server`;
/** This pod's own peer files: the kubelet expands $(POD_NAME) (defined earlier in the base env). */
const ownPeer = (file: string): string => `${PEER_DIR}/$(POD_NAME)/${file}`;

export function tlsEnv(): IEnvVar[] {
  return [
    { name: 'QUORUMLOCK_CERT_FILE', value: `${SERVER_DIR}/tls.crt` },
    { name: 'QUORUMLOCK_KEY_FILE', value: `${SERVER_DIR}/tls.key` },
    { name: 'QUORUMLOCK_TRUSTED_CA_FILE', value: `${SERVER_DIR}/ca.crt` },
    { name: 'QUORUMLOCK_CLIENT_CERT_AUTH', value: 'true' },
    { name: 'QUORUMLOCK_PEER_CERT_FILE', value: ownPeer('tls.crt') },
    { name: 'QUORUMLOCK_PEER_KEY_FILE', value: ownPeer('tls.key') },
    { name: 'QUORUMLOCK_PEER_TRUSTED_CA_FILE', value: ownPeer('ca.crt') },
    // lockctl in the pod (kubectl exec) verifies the server on 127.0.0.1 and presents the pod's peer certificate.
    { name: 'QUORUMLOCK_CACERT', value: `${SERVER_DIR}/ca.crt` },
    { name: 'QUORUMLOCK_CERT', value: ownPeer('tls.crt') },
    { name: 'QUORUMLOCK_KEY', value: ownPeer('tls.key') },
  ];
}

export function tlsVolumes(): IVolume[] {
  return [
    { name: 'server-tls', secret: { secretName: SERVER_SECRET, defaultMode: 0o440 } },
    {
      name: 'peer-tls',
      projected: {
        defaultMode: 0o440,
        sources: Array.from({ length: REPLICAS }, (_, i) => ({
          secret: { name: peerSecret(i), items: ['tls.crt', 'tls.key', 'ca.crt'].map((key) => ({ key, path: `${podName(i)}/${key}` })) },
        })),
      },
    },
  ];
}

export function tlsVolumeMounts(): IVolumeMount[] {
  return [
    { name: 'server-tls', mountPath: SERVER_DIR, readOnly: true },
    { name: 'peer-tls', mountPath: PEER_DIR, readOnly: true },
  ];
}

/** A JSON 6902 operation of the patch: every one appends to a list of the base StatefulSet. */
export interface AppendOp {
  readonly op: 'add';
  readonly path: string;
  readonly value: unknown;
}

/**
 * The patch of the base StatefulSet, as JSON 6902 appends rather than a strategic merge: a merge
 * puts the patch's env entries first, before POD_NAME, and the kubelet expands $(POD_NAME) only
 * from variables defined earlier in the list. The base has one container, `server`.
 */
export function statefulSetTlsPatch(): AppendOp[] {
  const container = '/spec/template/spec/containers/0';
  return [
    ...tlsEnv().map((value) => ({ op: 'add' as const, path: `${container}/env/-`, value })),
    ...tlsVolumeMounts().map((value) => ({ op: 'add' as const, path: `${container}/volumeMounts/-`, value })),
    ...tlsVolumes().map((value) => ({ op: 'add' as const, path: '/spec/template/spec/volumes/-', value })),
  ];
}

/** The overlay's files under deploy/overlays/mtls (resources first, then the patch). */
export function mtlsOverlay(): { resources: ReadonlyArray<readonly [file: string, manifests: Manifest[]]>; patch: readonly [file: string, patch: AppendOp[]] } {
  return {
    resources: [
      ['issuer.yaml', issuers()],
      ['certificate-server.yaml', [serverCertificate()]],
      ['certificate-peers.yaml', peerCertificates()],
      ['certificate-worker.yaml', [workerCertificate()]],
    ],
    patch: ['statefulset-tls-patch.yaml', statefulSetTlsPatch()],
  };
}
