/** Reading figures out of a Prometheus /metrics text, as the benchmarks scrape the servers. */

/** The value of one series (`name` with exactly `labels`, e.g. '{sync="true"}', or none) in a /metrics text. */
export function seriesValue(metricsText: string, name: string, labels = ''): number {
  const prefix = `${name}${labels} `;
  for (const line of metricsText.split('\n')) if (line.startsWith(prefix)) return Number(line.slice(prefix.length));
  return 0;
}

/** The sum of a Prometheus counter's series in a /metrics text (0 when absent). */
export function counterSum(metricsText: string, name: string): number {
  let sum = 0;
  for (const line of metricsText.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
