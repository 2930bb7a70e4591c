// Public API: re-exports only. Importing it loads @peculiar/x509's provider set-up and nothing else.

// The signing agent and its clients.
export { type Agent, type AgentOptions, type ReloadResult, startAgent } from './agent/agent';
export { ConfigError, loadAgentConfig, parseAgentConfig } from './agent/config';
export type { AgentConfig, ProfileConfig } from './agent/config-types';
export {
  type AgentCertificate,
  type FromAgentCredentialsOptions,
  fromAgentCredentials,
  getCertificate as getAgentCertificate,
  getCredentials as getAgentCredentials,
  sign as signWithAgent,
} from './agent-client';
export { createCachedProvider } from './credentials/cached-provider';
export { updateCredentialsFile } from './credentials/credentials-file';
export { toImdsOutput } from './credentials/imds-output';
export { formatProcessOutput, toProcessOutput } from './credentials/process-output';
export type { Credentials, CredentialsProvider } from './credentials/types';
export { AgentError, isAgentError } from './errors';
// The IMDSv2-compatible endpoint and the AWS SDK provider.
export { type ImdsServer, type ImdsServerOptions, startImdsServer } from './imds';
export { loadResources } from './local-endpoint/resources';
// The offline Roles Anywhere-compatible endpoint (a development and test tool).
export { type LocalEndpoint, type LocalEndpointOptions, startLocalEndpoint } from './local-endpoint/server';
export { type Pkcs11Uri, parsePkcs11Uri } from './pkcs11/uri';
// CreateSession and the credentials it yields.
export {
  type CreateSessionOptions,
  createSession,
  parseArn,
  resolveEndpoint,
  type SessionCredentials,
} from './rolesanywhere';
export { type FromRolesAnywhereOptions, fromRolesAnywhere } from './sdk';
export { type FromAgentOptions, fromAgent } from './signer/from-agent';
export { type FromFileOptions, fromFile } from './signer/from-file';
export { fromKeyObject } from './signer/from-key-object';
export { type FromPkcs11Options, fromPkcs11 } from './signer/from-pkcs11';
// Signers: the one way a private key is used.
export type { Digest, EcCurve, KeyType, Signer, SigningAlgorithm } from './signer/signer';
// SigV4-X509: signing and verifying Roles Anywhere requests.
export {
  createCanonicalQuery,
  createCanonicalRequest,
  createCanonicalUri,
  createCredentialScope,
  createStringToSign,
  receivedRequestFrom,
  type SignedX509Request,
  type SignX509Options,
  signX509Request,
  VERIFY_ERROR_RESPONSES,
  type VerifiedX509Request,
  type VerifyX509Options,
  verifyErrorResponse,
  verifyX509Request,
} from './sigv4-x509';
// Certificates.
export { type CertificateData, certificateData } from './x509/certificate-data';
export { serialToDecimal, serialToHex } from './x509/serial';
