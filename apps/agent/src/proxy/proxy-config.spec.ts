import { ConfigError } from '@berth/config';
import { loadAgentConfig } from '../config';

describe('the --proxy option', () => {
  it('is on for one node and off in hollow mode by default', () => {
    expect(loadAgentConfig([], {}).proxy).toBe(true);
    expect(loadAgentConfig(['--simulated-nodes', '50'], {}).proxy).toBe(false);
  });

  it('is set by --proxy / --no-proxy (over BERTH_PROXY)', () => {
    expect(loadAgentConfig(['--no-proxy'], {}).proxy).toBe(false);
    expect(loadAgentConfig(['--proxy', '--simulated-nodes', '5'], {}).proxy).toBe(true);
    expect(loadAgentConfig(['--proxy=false'], {}).proxy).toBe(false);
    expect(loadAgentConfig([], { BERTH_PROXY: 'false' }).proxy).toBe(false);
    expect(loadAgentConfig(['--proxy'], { BERTH_PROXY: 'false' }).proxy).toBe(true);
    expect(() => loadAgentConfig([], { BERTH_PROXY: 'maybe' })).toThrow(ConfigError);
  });
});
