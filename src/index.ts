// Public API: re-exports only, no side effects beyond @peculiar/x509's provider set-up.
export { AgentError, isAgentError } from './errors';
export { fromKeyObject } from './signer/from-key-object';
export type { Digest, EcCurve, KeyType, Signer, SigningAlgorithm } from './signer/signer';
export type { CertificateData } from './x509/certificate-data';
export { certificateData, serialDecimal } from './x509/certificate-data';
