import { afterEach, describe, expect, it } from 'vitest';
import { MetricsServer, createMetrics } from '../../../src/metrics/index.ts';

describe('MetricsServer', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('serves the registry on /metrics with the registry’s content type', async () => {
    const { registry } = createMetrics({ controllers: ['scaleset'], version: '1.2.3' });
    server = new MetricsServer({ registry, port: 0, host: '127.0.0.1' });
    const port = await server.start();
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(registry.contentType);
    const body = await response.text();
    expect(body).toMatch(/^vmfleet_build_info\{version="1\.2\.3",node_version="v\d+\.\d+\.\d+"\} 1$/m);
    expect(body).toContain('controller_runtime_reconcile_total{controller="scaleset",result="success"} 0');
    expect(body).toContain('process_resident_memory_bytes');
  });

  it('answers 404 elsewhere and 405 to other methods', async () => {
    server = new MetricsServer({
      registry: createMetrics({ defaultMetrics: false }).registry,
      port: 0,
      host: '127.0.0.1',
    });
    const port = await server.start();
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('defaults to port 8080, the port of the vmfleet-metrics Service', () => {
    const defaults = new MetricsServer({ registry: createMetrics({ defaultMetrics: false }).registry });
    expect((defaults as unknown as { port: number }).port).toBe(8080);
  });
});
