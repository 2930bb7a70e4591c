// A small client of the agent's socket API: credentials, certificate, raw signatures.
export { type AgentCertificate, getCertificate, getCredentials, getProcessOutput, sign } from './client';
export { type FromAgentCredentialsOptions, fromAgentCredentials } from './from-agent-credentials';
export { type AgentRequestOptions, agentRequest, closeAgentConnections } from './request';
export { resolveAgentSocket } from './socket';
