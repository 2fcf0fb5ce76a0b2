import { afterEach, describe, expect, it } from 'vitest';
import { HealthServer } from '../../../src/runtime/health.ts';

let server: HealthServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}

describe('HealthServer', () => {
  it('serves /healthz always and /readyz from its checks, listing failures with 503', async () => {
    let synced = false;
    server = new HealthServer({ port: 0, host: '127.0.0.1' });
    server.addReadyzCheck('caches-synced', () => (synced ? true : 'waiting for scalesets'));
    const port = await server.start();
    expect(port).toBeGreaterThan(0);

    expect(await get(port, '/healthz')).toEqual({ status: 200, body: 'ok' });
    const notReady = await get(port, '/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.body).toContain('[-]caches-synced waiting for scalesets');
    expect(server.isReady()).toBe(false);

    synced = true;
    expect(await get(port, '/readyz')).toEqual({ status: 200, body: 'ok' });
    expect((await get(port, '/readyz?verbose')).body).toContain('[+]caches-synced ok');
    expect((await get(port, '/metrics')).status).toBe(404);
  });

  it('treats a throwing check as failing', async () => {
    server = new HealthServer({ port: 0, host: '127.0.0.1' });
    server.addHealthzCheck('loop', () => {
      throw new Error('stuck');
    });
    const port = await server.start();
    const response = await get(port, '/healthz');
    expect(response.status).toBe(503);
    expect(response.body).toContain('[-]loop stuck');
  });
});
