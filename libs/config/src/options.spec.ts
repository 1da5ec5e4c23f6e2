import { logOptions, storeOptions } from './common';
import { ConfigError, helpText, loadOptions, parsedBy, value, type Option } from './options';

const OPTIONS = {
  port: { env: 'PORT', arg: 'PORT', help: 'port (default 6443)', schema: value.int(6443) },
  nodeName: {
    env: 'BERTH_NODE_NAME',
    arg: 'NAME',
    help: 'name',
    schema: value.string('host'),
  },
  labels: {
    env: 'BERTH_NODE_LABELS',
    flag: 'labels',
    arg: 'k=v',
    help: 'labels',
    schema: parsedBy((raw) => {
      if (!raw.includes('=')) throw new Error(`label "${raw}" must be key=value`);
      return raw.split('=');
    }).default([]),
  },
  secret: { env: 'BERTH_SECRET', flag: false, help: 'env only', schema: value.string('') },
  proxy: {
    env: 'BERTH_PROXY',
    negative: 'no-proxy',
    help: 'switch\nsecond line',
    schema: value.boolean().optional(),
  },
  ...logOptions,
  ...storeOptions,
} satisfies Record<string, Option>;

function load(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const read = loadOptions(OPTIONS, { argv, env });
  if (read.help) throw new Error('help asked');
  return read.values;
}

const error = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('no error');
};

describe('loadOptions', () => {
  it('has the defaults, and an empty variable counts as unset', () => {
    expect(load([], { PORT: '' })).toEqual({
      port: 6443,
      nodeName: 'host',
      labels: [],
      secret: '',
      proxy: undefined,
      logLevel: 'info',
      logFormat: 'json',
      databaseUrl: 'postgresql://postgres@127.0.0.1:5432/berth',
      redisUrl: 'redis://127.0.0.1:6379',
      queuePrefix: 'berth',
    });
  });

  it('reads the environment, and flags (--name value, --name=value) over it', () => {
    expect(load([], { PORT: '7443', BERTH_NODE_NAME: 'n1' })).toMatchObject({
      port: 7443,
      nodeName: 'n1',
    });
    expect(load(['--port', '8443', '--node-name= n2 '], { PORT: '7443' })).toMatchObject({
      port: 8443,
      nodeName: 'n2',
    });
    expect(load(['--labels', 'a=b']).labels).toEqual(['a', 'b']);
  });

  it('takes switches with and without a value, and their negative form', () => {
    expect(load(['--proxy']).proxy).toBe(true);
    expect(load(['--no-proxy'], { BERTH_PROXY: 'true' }).proxy).toBe(false);
    expect(load(['--proxy=false']).proxy).toBe(false);
    expect(load([], { BERTH_PROXY: 'OFF' }).proxy).toBe(false);
    expect(load(['--proxy'], { BERTH_PROXY: 'false' }).proxy).toBe(true);
  });

  it('names the variable, the flag, the bad value and what is expected', () => {
    expect(error(() => load([], { PORT: 'abc' }))).toBe(
      'PORT (--port) must be an integer ≥ 0; got "abc"',
    );
    expect(error(() => load(['--port', '-1']))).toBe(
      '--port (PORT) must be an integer ≥ 0; got "-1"',
    );
    expect(error(() => load([], { PORT: '1.5' }))).toMatch(/integer/);
    expect(error(() => load([], { BERTH_PROXY: 'maybe' }))).toBe(
      'BERTH_PROXY (--proxy) must be true or false; got "maybe"',
    );
    expect(error(() => load(['--labels', 'x']))).toBe(
      '--labels (BERTH_NODE_LABELS): label "x" must be key=value',
    );
    expect(error(() => load([], { DATABASE_URL: 'mysql://x' }))).toBe(
      'DATABASE_URL (--database-url) must be a postgresql:// URL; got "mysql://x"',
    );
  });

  it('has one log-level vocabulary, the API former names read as what they meant', () => {
    for (const level of ['error', 'warn', 'info', 'debug', 'trace'])
      expect(load([], { BERTH_LOG_LEVEL: level }).logLevel).toBe(level);
    expect(load([], { BERTH_LOG_LEVEL: 'log' }).logLevel).toBe('info');
    expect(load([], { BERTH_LOG_LEVEL: 'verbose' }).logLevel).toBe('trace');
    expect(load(['--log-level', 'debug'], { BERTH_LOG_LEVEL: 'warn' }).logLevel).toBe('debug');
    expect(error(() => load([], { BERTH_LOG_LEVEL: 'loud' }))).toBe(
      'BERTH_LOG_LEVEL (--log-level) must be one of error, warn, info, debug, trace; got "loud"',
    );
    expect(error(() => load([], { BERTH_LOG_FORMAT: 'xml' }))).toBe(
      'BERTH_LOG_FORMAT (--log-format) must be one of json, text; got "xml"',
    );
  });

  it('refuses unknown flags, flags without their value and positional arguments', () => {
    expect(error(() => load(['--bogus', '1']))).toBe('unknown option --bogus (see --help)');
    expect(error(() => load(['--port']))).toBe('--port needs a value');
    expect(error(() => load(['extra']))).toBe('unexpected argument "extra"');
    // An environment-only setting (a secret) has no flag.
    expect(error(() => load(['--secret', 'x']))).toBe('unknown option --secret (see --help)');
    expect(load([], { BERTH_SECRET: 's' }).secret).toBe('s');
  });

  it('answers --help / -h without reading (or refusing) anything else', () => {
    expect(loadOptions(OPTIONS, { argv: ['--help'], env: { PORT: 'bad' } })).toEqual({
      help: true,
    });
    expect(loadOptions(OPTIONS, { argv: ['-h'] }).help).toBe(true);
  });
});

describe('helpText', () => {
  it('lists every option with its flag, variable and help', () => {
    const text = helpText(OPTIONS, { intro: 'x — a test', usage: 'x [options]', outro: 'Notes.' });
    expect(text).toMatch(/^x — a test\n\nUsage: x \[options\]\n/);
    expect(text).toMatch(/^ {2}--port PORT +PORT +port \(default 6443\)$/m);
    expect(text).toMatch(/^ {2}--proxy, --no-proxy +BERTH_PROXY +switch$/m);
    expect(text).toMatch(/^ {20,}second line$/m);
    expect(text).toMatch(/^ {20,}BERTH_SECRET {2,}env only$/m);
    expect(text).toMatch(
      /^ {2}--log-level LEVEL +BERTH_LOG_LEVEL +error\|warn\|info\|debug\|trace/m,
    );
    expect(text).toMatch(/^ {2}-h, --help +this text$/m);
    expect(text.endsWith('Notes.\n')).toBe(true);
  });
});
