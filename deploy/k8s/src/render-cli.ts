#!/usr/bin/env node
/**
 * `pnpm k8s:render`: writes deploy/k8s/kustomization.yaml and manifests/*.yaml from the
 * TypeScript. `--check` writes nothing and exits 1 naming every file that differs, so a test (and
 * CI) fails when the committed YAML is not what the sources render.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MTLS_DIR, renderFiles } from './render';

const root = path.resolve(__dirname, '..');
const monitoring = path.resolve(root, '..', 'monitoring');

export function renderFromDisk(): Map<string, string> {
  return renderFiles({
    alertsYaml: fs.readFileSync(path.join(monitoring, 'prometheus', 'alerts.yaml'), 'utf8'),
    dashboardJson: fs.readFileSync(path.join(monitoring, 'grafana', 'quorumlock.json'), 'utf8'),
  });
}

/** The committed files that differ from the rendered ones (missing ones included). */
export function staleFiles(files: Map<string, string>): string[] {
  const stale: string[] = [];
  for (const [file, text] of files) {
    const p = path.join(root, file);
    if (!fs.existsSync(p) || fs.readFileSync(p, 'utf8') !== text) stale.push(file);
  }
  const listed = (dir: string): string[] => (fs.existsSync(path.join(root, dir)) ? fs.readdirSync(path.join(root, dir)).map((f) => `${dir}/${f}`) : []);
  const committed = [...listed('manifests'), ...listed(MTLS_DIR)];
  for (const f of committed) if (!files.has(f)) stale.push(`${f} (not rendered any more)`);
  return stale;
}

function main(): void {
  const files = renderFromDisk();
  if (process.argv.includes('--check')) {
    const stale = staleFiles(files);
    if (stale.length > 0) {
      process.stderr.write(`deploy/k8s differs from its sources; run pnpm k8s:render:\n  ${stale.join('\n  ')}\n`);
      process.exit(1);
    }
    process.stdout.write(`deploy/k8s: ${files.size} files match their sources\n`);
    return;
  }
  fs.mkdirSync(path.join(root, 'manifests'), { recursive: true });
  fs.mkdirSync(path.join(root, MTLS_DIR), { recursive: true });
  for (const [file, text] of files) fs.writeFileSync(path.join(root, file), text);
  process.stdout.write(`deploy/k8s: wrote ${files.size} files\n`);
}

if (require.main === module) main();
