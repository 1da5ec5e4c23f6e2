import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient } from './api-client';

describe('ApiClient.watch', () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    // A watch that sends nothing: only an abort (or the idle timeout) ends it.
    server = http.createServer((_req, res) => res.writeHead(200).flushHeaders());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('ends at once when the signal was aborted before it started', async () => {
    const client = new ApiClient({ url });
    const abort = new AbortController();
    abort.abort();
    const started = Date.now();
    await expect(client.watch('/w', 't', () => undefined, abort.signal, 60_000)).rejects.toThrow(
      'watch stopped',
    );
    expect(Date.now() - started).toBeLessThan(1000);
    client.close();
  });

  it('ends when the signal aborts while it runs', async () => {
    const client = new ApiClient({ url });
    const abort = new AbortController();
    const watching = client.watch('/w', 't', () => undefined, abort.signal, 60_000);
    setImmediate(() => abort.abort());
    await expect(watching).rejects.toThrow('watch stopped');
    client.close();
  });
});
