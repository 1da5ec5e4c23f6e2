/** Nodes register with their status (capacity, addresses), like a kubelet does. */
import { nodeDefinition } from '@berth/core';
import { defineStrategy } from '../strategy';

export const nodeStrategy = defineStrategy(nodeDefinition, {
  prepareForCreate() {
    // The status sent is kept.
  },
});
