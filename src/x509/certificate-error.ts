import { AgentError, describeError } from '../errors';

/** The error of an input that does not parse as X.509 certificates; `label` names the input. */
export function notACertificate(label: string, error: unknown): AgentError {
  return new AgentError('CERT_INVALID', `${label} is not an X.509 certificate (${describeError(error)})`, {
    hint: 'give a PEM or DER certificate file; a private key or CSR is not a certificate',
    cause: error,
  });
}
