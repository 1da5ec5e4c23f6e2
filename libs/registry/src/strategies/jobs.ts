/** Jobs: a generated selector and pod labels at create (they need the uid), template lists merged by strategic merge patches. */
import { generateJobSelector, jobDefinition, podSpecPatchSchema } from '@berth/core';
import { defineStrategy } from '../strategy';

export const jobStrategy = defineStrategy(jobDefinition, {
  prepareForCreate(object) {
    delete object.status;
    generateJobSelector(object);
  },
  patchSchema: podSpecPatchSchema('spec.template.spec'),
});
