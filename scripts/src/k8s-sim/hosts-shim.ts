/**
 * Preloaded (`node --require`) into every simulated pod: names listed in the JSON file named by
 * QUORUMLOCK_SIM_HOSTS resolve to their address, as the cluster DNS resolves a headless Service's
 * per-pod names to pod IPs. Every other name goes to the real resolver. Test machinery only: the
 * server has no such option.
 */
import * as dns from 'node:dns';
import * as fs from 'node:fs';

const file = process.env['QUORUMLOCK_SIM_HOSTS'] ?? '';

function mapped(hostname: string): string | undefined {
  if (file === '') return undefined;
  try {
    const hosts = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    return hosts[hostname.toLowerCase()];
  } catch {
    return undefined;
  }
}

const realPromiseLookup = dns.promises.lookup.bind(dns.promises);
// A deleted pod's name stops resolving (NXDOMAIN), as with a headless Service.
(dns.promises as { lookup: unknown }).lookup = (hostname: string, options?: dns.LookupOptions | number): Promise<unknown> => {
  const address = mapped(hostname);
  if (address === undefined) return realPromiseLookup(hostname, options as dns.LookupOptions);
  const all = typeof options === 'object' && options.all === true;
  return Promise.resolve(all ? [{ address, family: 4 }] : { address, family: 4 });
};
