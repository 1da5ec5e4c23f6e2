/**
 * berth-agent: the node agent (kubelet + runtime + service proxy; see ARCHITECTURE.md).
 * Filled by the node-agent issue; until then it only describes itself.
 */
export const AGENT_ROLE = 'node agent (kubelet, container runtime, service proxy)';
