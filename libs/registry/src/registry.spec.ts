import type { KubeObject } from '@berth/core';
import { finalizersForDeletion } from './registry';

function withFinalizers(finalizers?: string[]): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'd', ...(finalizers ? { finalizers } : {}) },
  };
}

describe('finalizersForDeletion (DELETE propagationPolicy)', () => {
  it('leaves the finalizers alone without a policy', () => {
    expect(finalizersForDeletion(withFinalizers(['orphan']), undefined)).toBeUndefined();
    expect(finalizersForDeletion(withFinalizers(), '')).toBeUndefined();
  });

  it('adds foregroundDeletion for Foreground and orphan for Orphan, keeping other finalizers', () => {
    expect(finalizersForDeletion(withFinalizers(), 'Foreground')).toEqual(['foregroundDeletion']);
    expect(finalizersForDeletion(withFinalizers(['example.com/x']), 'Orphan')).toEqual([
      'example.com/x',
      'orphan',
    ]);
  });

  it('swaps one garbage-collector finalizer for the other, and Background removes them', () => {
    expect(finalizersForDeletion(withFinalizers(['orphan']), 'Foreground')).toEqual([
      'foregroundDeletion',
    ]);
    expect(
      finalizersForDeletion(withFinalizers(['a', 'foregroundDeletion']), 'Background'),
    ).toEqual(['a']);
  });

  it('reports no change when the finalizers already match the policy', () => {
    expect(finalizersForDeletion(withFinalizers(), 'Background')).toBeUndefined();
    expect(finalizersForDeletion(withFinalizers(['orphan']), 'Orphan')).toBeUndefined();
  });

  it('rejects an unknown policy with a BadRequest', () => {
    expect(() => finalizersForDeletion(withFinalizers(), 'Sideways')).toThrow(
      expect.objectContaining({ reason: 'BadRequest' }),
    );
  });
});
