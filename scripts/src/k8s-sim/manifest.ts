import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';

/** An environment variable of the container, as the manifest gives it. */
export type EnvVar = { readonly name: string; readonly value: string } | { readonly name: string; readonly fieldPath: string };

/** What the simulator takes from the rendered StatefulSet and PodDisruptionBudget. */
export interface PodSpec {
  readonly setName: string;
  readonly serviceName: string;
  readonly replicas: number;
  readonly command: readonly string[];
  readonly env: readonly EnvVar[];
  readonly ports: Readonly<Record<string, number>>;
  readonly dataMountPath: string;
  readonly terminationGracePeriodSeconds: number;
  readonly readinessPath: string;
  readonly readinessPort: number;
  readonly pdbMaxUnavailable: number;
}

type Doc = Record<string, unknown>;

function at(o: unknown, ...keys: (string | number)[]): unknown {
  let v: unknown = o;
  for (const k of keys) v = v === null || typeof v !== 'object' ? undefined : (v as Record<string | number, unknown>)[k];
  return v;
}

function need<T>(v: unknown, what: string, check: (x: unknown) => x is T): T {
  if (!check(v)) throw new Error(`the rendered manifest has no ${what} (got ${JSON.stringify(v)})`);
  return v;
}

const isString = (x: unknown): x is string => typeof x === 'string';
const isNumber = (x: unknown): x is number => typeof x === 'number';
const isArray = (x: unknown): x is unknown[] => Array.isArray(x);

function load(file: string): Doc[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS() as Doc);
}

/** Read deploy/k8s/manifests (the committed YAML, what `kubectl apply -k` would apply). */
export function readPodSpec(manifestsDir: string): PodSpec {
  const sts = load(path.join(manifestsDir, 'statefulset.yaml')).find((d) => d['kind'] === 'StatefulSet');
  const pdb = load(path.join(manifestsDir, 'poddisruptionbudget.yaml')).find((d) => d['kind'] === 'PodDisruptionBudget');
  const pod = at(sts, 'spec', 'template', 'spec');
  const containers = need(at(pod, 'containers'), 'containers', isArray);
  const c = containers.find((x) => at(x, 'name') === 'server') ?? containers[0];
  const ports: Record<string, number> = {};
  for (const p of need(at(c, 'ports'), 'container ports', isArray)) ports[need(at(p, 'name'), 'port name', isString)] = need(at(p, 'containerPort'), 'containerPort', isNumber);
  const env: EnvVar[] = need(at(c, 'env'), 'env', isArray).map((e) => {
    const name = need(at(e, 'name'), 'env name', isString);
    const fieldPath = at(e, 'valueFrom', 'fieldRef', 'fieldPath');
    return isString(fieldPath) ? { name, fieldPath } : { name, value: String(at(e, 'value') ?? '') };
  });
  const dataVolume = need(at(sts, 'spec', 'volumeClaimTemplates', 0, 'metadata', 'name'), 'volumeClaimTemplate', isString);
  const mount = need(at(c, 'volumeMounts'), 'volumeMounts', isArray).find((m) => at(m, 'name') === dataVolume);
  const readinessPort = at(c, 'readinessProbe', 'httpGet', 'port');
  return {
    setName: need(at(sts, 'metadata', 'name'), 'StatefulSet name', isString),
    serviceName: need(at(sts, 'spec', 'serviceName'), 'serviceName', isString),
    replicas: need(at(sts, 'spec', 'replicas'), 'replicas', isNumber),
    command: [...need(at(c, 'command'), 'command', isArray).map(String), ...((at(c, 'args') as unknown[] | undefined) ?? []).map(String)],
    env,
    ports,
    dataMountPath: need(at(mount, 'mountPath'), 'data volume mount', isString),
    terminationGracePeriodSeconds: need(at(pod, 'terminationGracePeriodSeconds'), 'terminationGracePeriodSeconds', isNumber),
    readinessPath: need(at(c, 'readinessProbe', 'httpGet', 'path'), 'readinessProbe path', isString),
    readinessPort: isNumber(readinessPort) ? readinessPort : (ports[need(readinessPort, 'readinessProbe port', isString)] ?? 0),
    pdbMaxUnavailable: need(at(pdb, 'spec', 'maxUnavailable'), 'PodDisruptionBudget maxUnavailable', isNumber),
  };
}

/** Expand `$(VAR)` references as the kubelet does: to earlier variables of the list, else left as is. */
export function expandEnv(env: readonly EnvVar[], fields: Readonly<Record<string, string>>, overrides: Readonly<Record<string, string>> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    const raw = 'fieldPath' in e ? (fields[e.fieldPath] ?? '') : e.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, n: string) => out[n] ?? m);
    out[e.name] = raw;
  }
  return { ...out, ...overrides };
}
