// deploy/monitoring/: the kind monitoring stack. Checked without a cluster: the Prometheus config passes
// `promtool check config`, Prometheus scrapes the operator's metrics port, Grafana loads the generated
// dashboard from where its provider looks, and both pods are pinned, non-root and have resources.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { DASHBOARD_FILE_NAME } from '../../../src/dashboards/index.ts';
import { promtoolOrSkip, runPromtool } from '../metrics/support.ts';

const ROOT = join(import.meta.dirname, '../../..');
const DIR = join(ROOT, 'deploy/monitoring');

interface Container {
  name: string;
  image: string;
  env?: { name: string; value?: string }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[] };
  };
  volumeMounts?: { name: string; mountPath: string }[];
}

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: {
    clusterIP?: string;
    selector?: Record<string, unknown>;
    ports?: { name?: string; port: number; targetPort?: string | number }[];
    template?: {
      spec: {
        securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
        containers: Container[];
        volumes?: { name: string; configMap?: { name: string } }[];
      };
    };
  };
}

const kustomization = parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
const manifests: Manifest[] = kustomization.resources
  .filter((resource) => resource.endsWith('.yaml'))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => doc.toJS() as Manifest),
  );

function find(kind: string, name: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (found === undefined) throw new Error(`${kind}/${name} not in deploy/monitoring`);
  return found;
}

const prometheusYaml = find('ConfigMap', 'prometheus-config').data?.['prometheus.yml'] ?? '';

describe('deploy/monitoring', () => {
  it('lists only files that exist, and the generated dashboard base', () => {
    for (const resource of kustomization.resources)
      expect(existsSync(join(DIR, resource)), resource).toBe(true);
    expect(kustomization.resources).toContain('../grafana');
  });

  it('the Prometheus configuration passes promtool check config', ({ skip }) => {
    const promtool = promtoolOrSkip(skip);
    const dir = mkdtempSync(join(tmpdir(), 'vmfleet-monitoring-'));
    try {
      const file = join(dir, 'prometheus.yml');
      writeFileSync(file, prometheusYaml);
      const result = runPromtool(promtool, ['check', 'config', file]);
      expect(result.stderr, result.stdout).toBe('');
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Prometheus scrapes every operator pod on the metrics port of deploy/service.yaml, keeping vmfleet’s labels', () => {
    const config = parse(prometheusYaml) as {
      scrape_configs: {
        job_name: string;
        honor_labels?: boolean;
        dns_sd_configs?: { names: string[]; port: number }[];
      }[];
    };
    const job = config.scrape_configs.find((j) => j.job_name === 'vmfleet');
    expect(job?.honor_labels).toBe(true);
    const headless = find('Service', 'vmfleet-metrics-pods');
    expect(headless.spec?.clusterIP).toBe('None');
    expect(job?.dns_sd_configs?.[0]?.names).toEqual([
      `${headless.metadata.name}.${headless.metadata.namespace ?? ''}.svc.cluster.local`,
    ]);
    const operatorService = parse(readFileSync(join(ROOT, 'deploy/service.yaml'), 'utf8')) as Manifest;
    const metricsPort = operatorService.spec?.ports?.find((p) => p.name === 'metrics');
    expect(job?.dns_sd_configs?.[0]?.port).toBe(metricsPort?.port);
    expect(headless.spec?.selector).toEqual(operatorService.spec?.selector);
    expect(headless.spec?.ports?.[0]?.targetPort).toBe(metricsPort?.targetPort);
  });

  it('Grafana provisions the Prometheus datasource and loads the generated dashboard from its provider path', () => {
    const grafana = find('Deployment', 'grafana').spec?.template?.spec;
    const container = grafana?.containers[0];
    const providers = parse(
      find('ConfigMap', 'grafana-dashboard-providers').data?.['vmfleet.yaml'] ?? '',
    ) as {
      providers: { type: string; options: { path: string } }[];
    };
    const providerPath = providers.providers[0]?.options.path;
    const dashboardMount = container?.volumeMounts?.find((m) => m.mountPath === providerPath);
    const dashboardVolume = grafana?.volumes?.find((v) => v.name === dashboardMount?.name);
    expect(dashboardVolume?.configMap?.name).toBe('vmfleet-dashboard');
    const generated = parse(readFileSync(join(ROOT, 'deploy/grafana/configmap.yaml'), 'utf8')) as Manifest;
    expect(generated.metadata.name).toBe('vmfleet-dashboard');
    const home = container?.env?.find((e) => e.name === 'GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH')?.value;
    expect(home).toBe(`${providerPath ?? ''}/${DASHBOARD_FILE_NAME}`);

    const datasources = parse(find('ConfigMap', 'grafana-datasources').data?.['prometheus.yaml'] ?? '') as {
      datasources: { type: string; url: string; isDefault: boolean }[];
    };
    const prometheusService = find('Service', 'prometheus');
    expect(datasources.datasources[0]).toMatchObject({
      type: 'prometheus',
      isDefault: true,
      url: `http://prometheus.vmfleet-monitoring.svc:${String(prometheusService.spec?.ports?.[0]?.port)}`,
    });
  });

  it('pods are pinned to official images, non-root, restricted and have resources', () => {
    const images: string[] = [];
    for (const deployment of manifests.filter((m) => m.kind === 'Deployment')) {
      const pod = deployment.spec?.template?.spec;
      expect(pod?.securityContext?.runAsNonRoot, deployment.metadata.name).toBe(true);
      expect(pod?.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
      for (const container of pod?.containers ?? []) {
        images.push(container.image);
        expect(container.image).toMatch(/^(prom\/prometheus|grafana\/grafana):v?\d+\.\d+\.\d+$/);
        expect(container.resources?.requests?.cpu && container.resources.requests.memory).toBeTruthy();
        expect(container.resources?.limits?.memory).toBeTruthy();
        expect(container.securityContext?.allowPrivilegeEscalation).toBe(false);
        expect(container.securityContext?.capabilities?.drop).toEqual(['ALL']);
      }
    }
    expect(images.map((image) => image.split(':')[0]).sort()).toEqual(['grafana/grafana', 'prom/prometheus']);
    expect(
      find('Namespace', 'vmfleet-monitoring').metadata.labels?.['pod-security.kubernetes.io/enforce'],
    ).toBe('restricted');
  });
});
