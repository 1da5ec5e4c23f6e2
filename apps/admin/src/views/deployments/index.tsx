// The Deployment pages: list, create (form or YAML), show with actions (scale, edit,
// restart, roll back), rollout status, pods and revisions.
export { DeploymentCreate } from './create';
export { DeploymentList, selectorString } from './list';
export { DeploymentShow, PodTable } from './show';
