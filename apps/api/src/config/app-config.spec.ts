import { ConfigError } from '@berth/config';
import { loadConfig } from './app-config';

describe('loadConfig', () => {
  it('has defaults that work on a developer machine', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 6443,
      databaseUrl: expect.stringMatching(/^postgresql:\/\//),
      logFormat: 'json',
    });
    expect(config.httpPort).toBeUndefined();
  });

  it('reads and validates values', () => {
    expect(
      loadConfig({ PORT: '7443', BERTH_HTTP_PORT: '8081', BERTH_TLS_SANS: 'a.example, 10.0.0.1' }),
    ).toMatchObject({
      port: 7443,
      httpPort: 8081,
      extraSans: ['a.example', '10.0.0.1'],
    });
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(ConfigError);
    expect(() => loadConfig({ BERTH_MAX_BODY_BYTES: '12' })).toThrow(/BERTH_MAX_BODY_BYTES/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/postgresql/);
    expect(() => loadConfig({ BERTH_LOG_LEVEL: 'loud' })).toThrow(/BERTH_LOG_LEVEL/);
    // One vocabulary: info (the worker's and agent's) works here too.
    expect(loadConfig({ BERTH_LOG_LEVEL: 'info' }).logLevel).toBe('info');
    expect(
      loadConfig({
        BERTH_SERVICE_CIDR: '127.200.0.0/16',
        BERTH_SERVICE_NODE_PORT_RANGE: '31000-31999',
      }),
    ).toMatchObject({ serviceCIDR: '127.200.0.0/16', nodePortRange: '31000-31999' });
    expect(loadConfig({})).toMatchObject({
      serviceCIDR: '127.96.0.0/12',
      nodePortRange: '30000-32767',
      serviceMaxPorts: 100,
    });
    expect(loadConfig({ BERTH_SERVICE_MAX_PORTS: '500' }).serviceMaxPorts).toBe(500);
    expect(() => loadConfig({ BERTH_SERVICE_MAX_PORTS: '0' })).toThrow(/BERTH_SERVICE_MAX_PORTS/);
    expect(() => loadConfig({ BERTH_SERVICE_CIDR: '127.0.0.1' })).toThrow(/BERTH_SERVICE_CIDR/);
    expect(() => loadConfig({ BERTH_SERVICE_NODE_PORT_RANGE: '9-1' })).toThrow(
      /BERTH_SERVICE_NODE_PORT_RANGE/,
    );
  });
});
