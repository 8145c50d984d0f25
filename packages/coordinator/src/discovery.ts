import type { MemberAddresses } from './replica';

/** Bad discovery settings; the message names the value. */
export class DiscoveryError extends Error {
  override readonly name = 'DiscoveryError';
}

export interface OrdinalDiscovery {
  /** The founders (ordinals 0..bootstrapExpect-1), or, for a later ordinal, the members to join. */
  readonly initialCluster: Record<string, MemberAddresses>;
  /** Ordinals at or past bootstrapExpect start empty and wait to be added. */
  readonly join: boolean;
  /** This member's client address as others reach it: its stable DNS name, never a pod IP. */
  readonly advertiseClient: string;
  /** This member's peer address, the same way. */
  readonly advertisePeer: string;
  /** Members the dead-member cleanup may remove: pods of this set at or past bootstrapExpect. */
  readonly removable: (id: string) => boolean;
  readonly bootstrapExpect: number;
}

const ORDINAL_ID = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)-(\d+)$/;
const DNS_DOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Members of a StatefulSet, derived as etcd's and Consul's charts derive them: pod `<set>-<i>` is
 * reached at `<set>-<i>.<domain>` (the headless Service), on the same ports as this node listens
 * on. Ordinals below `bootstrapExpect` found the cluster; no --initial-cluster is typed by hand.
 */
export function membersFromOrdinals(id: string, domain: string, bootstrapExpect: number, peerPort: number, clientPort: number): OrdinalDiscovery {
  const m = ORDINAL_ID.exec(id);
  if (m === null || m[1] === undefined || m[3] === undefined) {
    throw new DiscoveryError(`--id '${id}' is not a StatefulSet pod name <set>-<ordinal>, which --discovery-domain needs`);
  }
  if (!DNS_DOMAIN.test(domain)) throw new DiscoveryError(`--discovery-domain '${domain}' is not a DNS name`);
  if (!Number.isSafeInteger(bootstrapExpect) || bootstrapExpect < 1) {
    throw new DiscoveryError(`--bootstrap-expect ${bootstrapExpect} must be a positive integer with --discovery-domain`);
  }
  const set = m[1];
  const ordinal = Number(m[3]);
  const at = (name: string): MemberAddresses => ({ peer: `${name}.${domain}:${peerPort}`, client: `${name}.${domain}:${clientPort}` });
  const initialCluster: Record<string, MemberAddresses> = {};
  for (let i = 0; i < bootstrapExpect; i++) initialCluster[`${set}-${i}`] = at(`${set}-${i}`);
  const removable = (other: string): boolean => {
    const o = ORDINAL_ID.exec(other);
    return o !== null && o[1] === set && Number(o[3]) >= bootstrapExpect;
  };
  return { initialCluster, join: ordinal >= bootstrapExpect, advertiseClient: at(id).client, advertisePeer: at(id).peer, removable, bootstrapExpect };
}
