/**
 * StatefulSet discovery (--discovery-domain, --bootstrap-expect): the members come from the pod
 * name's ordinal and the headless Service's domain, with the environment the rendered
 * StatefulSet gives every pod, so no --initial-cluster is typed by hand.
 */
import { ConfigError, loadConfig, type ServerConfig } from '../../src/config';

/** The variables deploy/k8s/manifests/statefulset.yaml sets, for pod `pod` in namespace `ns`. */
function podEnv(pod: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    QUORUMLOCK_ID: pod,
    QUORUMLOCK_DATA_DIR: '/var/lib/quorumlock',
    QUORUMLOCK_LISTEN_CLIENT: '0.0.0.0:6001',
    QUORUMLOCK_LISTEN_PEER: '0.0.0.0:7001',
    QUORUMLOCK_DISCOVERY_DOMAIN: 'quorumlock-peers.ns.svc.cluster.local',
    QUORUMLOCK_BOOTSTRAP_EXPECT: '3',
    ...extra,
  };
}

const load = (env: NodeJS.ProcessEnv): ServerConfig => {
  const c = loadConfig([], env);
  if (c === 'help') throw new Error('help');
  return c;
};

test('a founder (ordinal below --bootstrap-expect) bootstraps with every founder by its DNS name', () => {
  const c = load(podEnv('quorumlock-1'));
  expect(c.join).toBe(false);
  expect(c.initialCluster).toEqual({
    'quorumlock-0': { peer: 'quorumlock-0.quorumlock-peers.ns.svc.cluster.local:7001', client: 'quorumlock-0.quorumlock-peers.ns.svc.cluster.local:6001' },
    'quorumlock-1': { peer: 'quorumlock-1.quorumlock-peers.ns.svc.cluster.local:7001', client: 'quorumlock-1.quorumlock-peers.ns.svc.cluster.local:6001' },
    'quorumlock-2': { peer: 'quorumlock-2.quorumlock-peers.ns.svc.cluster.local:7001', client: 'quorumlock-2.quorumlock-peers.ns.svc.cluster.local:6001' },
  });
  // Redirects name the stable DNS name, not the 0.0.0.0 it listens on.
  expect(c.advertiseClient).toBe('quorumlock-1.quorumlock-peers.ns.svc.cluster.local:6001');
});

test('a later ordinal starts empty with --join, knowing the founders to reach', () => {
  const c = load(podEnv('quorumlock-4'));
  expect(c.join).toBe(true);
  expect(Object.keys(c.initialCluster)).toEqual(['quorumlock-0', 'quorumlock-1', 'quorumlock-2']);
  expect(c.advertiseClient).toBe('quorumlock-4.quorumlock-peers.ns.svc.cluster.local:6001');
});

test('--join still holds for a founder (restarted after its volume was lost)', () => {
  expect(load(podEnv('quorumlock-0', { QUORUMLOCK_JOIN: 'true' })).join).toBe(true);
});

test('bad discovery settings are refused, naming the value', () => {
  expect(() => load(podEnv('worker'))).toThrow(new ConfigError("--id 'worker' is not a StatefulSet pod name <set>-<ordinal>, which --discovery-domain needs"));
  expect(() => load(podEnv('quorumlock-0', { QUORUMLOCK_BOOTSTRAP_EXPECT: '0' }))).toThrow(/--bootstrap-expect '0'/);
  expect(() => load(podEnv('quorumlock-0', { QUORUMLOCK_BOOTSTRAP_EXPECT: '' }))).toThrow(/--bootstrap-expect ''/);
  expect(() => load(podEnv('quorumlock-0', { QUORUMLOCK_DISCOVERY_DOMAIN: 'Bad_Domain' }))).toThrow(/--discovery-domain 'Bad_Domain' is not a DNS name/);
  expect(() => load(podEnv('quorumlock-0', { QUORUMLOCK_INITIAL_CLUSTER: 'quorumlock-0=a:1/a:2' }))).toThrow(/exclude each other/);
  expect(() => load({ ...podEnv('quorumlock-0'), QUORUMLOCK_DISCOVERY_DOMAIN: '', QUORUMLOCK_INITIAL_CLUSTER: 'quorumlock-0=a:1/a:2' })).toThrow(/--bootstrap-expect needs --discovery-domain/);
});

test('scale-down cleanup: only pods of this set at or past --bootstrap-expect are removable; the timeout needs discovery', () => {
  const c = load(podEnv('quorumlock-4'));
  expect(c.deadMemberTimeoutMs).toBe(60_000);
  expect(c.advertisePeer).toBe('quorumlock-4.quorumlock-peers.ns.svc.cluster.local:7001');
  const removable = c.discovery?.removable ?? ((): boolean => true);
  expect(['quorumlock-0', 'quorumlock-2', 'quorumlock-3', 'quorumlock-10', 'other-3', 'quorumlock'].map(removable)).toEqual([false, false, true, true, false, false]);
  expect(load(podEnv('quorumlock-0', { QUORUMLOCK_DEAD_MEMBER_TIMEOUT_MS: '15000' })).deadMemberTimeoutMs).toBe(15_000);
  expect(() => load(podEnv('quorumlock-0', { QUORUMLOCK_DEAD_MEMBER_TIMEOUT_MS: 'soon' }))).toThrow("--dead-member-timeout-ms 'soon' must be an integer");
  const manual = { QUORUMLOCK_ID: 'a', QUORUMLOCK_DATA_DIR: '/d', QUORUMLOCK_INITIAL_CLUSTER: 'a=h:1/h:2', QUORUMLOCK_DEAD_MEMBER_TIMEOUT_MS: '1000' };
  expect(() => load(manual)).toThrow(ConfigError);
  expect(() => load(manual)).toThrow('--dead-member-timeout-ms needs --discovery-domain');
});
