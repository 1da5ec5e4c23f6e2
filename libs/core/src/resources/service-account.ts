/**
 * core/v1 ServiceAccount: metadata validation only, as kube-apiserver's
 * ValidateServiceAccount.
 */
import { z } from 'zod';
import { defineResource } from './define';
import { objectReferenceSchema, typeMeta } from './meta';
import { age, ageColumn, column, name, nameColumn } from './table';
import { arr } from './util';

export const serviceAccountSchema = z.strictObject({
  ...typeMeta('v1', 'ServiceAccount'),
  secrets: z.array(objectReferenceSchema).optional(),
  imagePullSecrets: z.array(z.strictObject({ name: z.string().optional() })).optional(),
  automountServiceAccountToken: z.boolean().optional(),
});

export const serviceAccountDefinition = defineResource({
  group: '',
  version: 'v1',
  kind: 'ServiceAccount',
  plural: 'serviceaccounts',
  singular: 'serviceaccount',
  namespaced: true,
  shortNames: ['sa'],
  hasStatus: false,
  tracksGeneration: false,
  nameRule: 'subdomain',
  schema: serviceAccountSchema,
  columns: [
    nameColumn(),
    column(
      'Secrets',
      'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use. Pods are only limited to this list if this service account has a "kubernetes.io/enforce-mountable-secrets" annotation set to "true". The "kubernetes.io/enforce-mountable-secrets" annotation is deprecated since v1.32. Prefer separate namespaces to isolate access to mounted secrets. This field should not be used to find auto-generated service account token secrets for use outside of pods. Instead, tokens can be requested directly using the TokenRequest API, or service account token secrets can be manually created. More info: https://kubernetes.io/docs/concepts/configuration/secret',
    ),
    ageColumn(),
  ],
  row: (o, now) => [name(o), arr(o.secrets).length, age(o, now)],
});
