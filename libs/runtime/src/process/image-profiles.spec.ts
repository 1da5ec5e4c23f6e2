import { containerArgv, imageProfile } from './image-profiles';

describe('process runtime image profiles', () => {
  it('knows images by name, with a tag, digest or library/ prefix', () => {
    expect(imageProfile('busybox')).toBeDefined();
    expect(imageProfile('busybox:1.36')).toBeDefined();
    expect(imageProfile('library/python@sha256:abc')).toBeDefined();
    expect(imageProfile('nginx')).toBeUndefined();
    expect(imageProfile('example.com/busybox')).toBeUndefined();
  });

  it('runs args as the command for images without an entrypoint', () => {
    expect(containerArgv('busybox', undefined, ['/bin/sh', '-c', 'echo hi'])).toEqual([
      '/bin/sh',
      '-c',
      'echo hi',
    ]);
    expect(containerArgv('alpine:3', undefined, undefined)).toEqual(['/bin/sh']);
    expect(containerArgv('python:3.12', undefined, [])).toEqual(['python3']);
  });

  it('puts args after the node entrypoint, and command replaces the profile', () => {
    expect(containerArgv('node:20', undefined, ['server.js'])).toEqual(['node', 'server.js']);
    expect(containerArgv('node', undefined, undefined)).toEqual(['node']);
    expect(containerArgv('ubuntu', ['/bin/echo'], ['a'])).toEqual(['/bin/echo', 'a']);
    expect(containerArgv('nginx', undefined, ['x'])).toBeUndefined();
  });
});
