import { TEST_ADMIN_TOKEN, startTestApiServer } from './testing/test-api-server';
import { openWatch } from './testing/watch-client';

describe('graceful shutdown', () => {
  it('ends open watches cleanly and stops listening', async () => {
    const t = await startTestApiServer();
    let closed = false;
    try {
      const w = await openWatch(
        t.server.httpUrl!,
        '/api/v1/namespaces?watch=true',
        TEST_ADMIN_TOKEN,
      );
      expect(w.status).toBe(200);
      await t.server.close();
      closed = true;
      await w.ended;
      await expect(fetch(`${t.server.httpUrl}/healthz`)).rejects.toThrow();
    } finally {
      if (!closed) await t.server.close();
      await t.db.drop();
    }
  });
});
