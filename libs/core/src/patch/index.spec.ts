import * as patch from './index';

describe('patch module exports', () => {
  it('exports the public API', () => {
    for (const name of [
      'applyMergePatch',
      'applyJsonPatch',
      'applyStrategicMergePatch',
      'applyPatch',
      'podSpecPatchSchema',
      'objectMetaPatchSchema',
      'servicePatchSchema',
    ]) {
      expect(typeof (patch as Record<string, unknown>)[name]).toBe('function');
    }
    expect(patch.PATCH_CONTENT_TYPES.strategic).toBe('application/strategic-merge-patch+json');
  });
});
