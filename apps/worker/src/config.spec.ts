import { ConfigError } from '@berth/config';
import { loadWorkerConfig, readWorkerConfig } from './config';

describe('the worker configuration', () => {
  it('has defaults that work on a developer machine', () => {
    expect(loadWorkerConfig({})).toMatchObject({
      databaseUrl: 'postgresql://postgres@127.0.0.1:5432/berth',
      queuePrefix: 'berth',
      concurrency: 8,
      metricsPort: undefined,
      logLevel: 'info',
      logFormat: 'json',
      identity: expect.stringMatching(/-\d+$/),
    });
  });

  it('reads variables and flags, flags first', () => {
    expect(
      loadWorkerConfig({ BERTH_WORKER_METRICS_PORT: '0', BERTH_LOG_LEVEL: 'debug' }),
    ).toMatchObject({ metricsPort: 0, logLevel: 'debug' });
    const read = readWorkerConfig({
      argv: ['--worker-concurrency', '3', '--log-level=warn'],
      env: { BERTH_WORKER_CONCURRENCY: '5' },
    });
    expect(read.help || read.config).toMatchObject({ concurrency: 3, logLevel: 'warn' });
    expect(readWorkerConfig({ argv: ['--help'] }).help).toBe(true);
  });

  it('refuses bad values naming the variable', () => {
    expect(() => loadWorkerConfig({ BERTH_WORKER_CONCURRENCY: '0' })).toThrow(
      new ConfigError(
        'BERTH_WORKER_CONCURRENCY (--worker-concurrency) must be an integer ≥ 1; got "0"',
      ),
    );
    expect(() => loadWorkerConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  });
});
