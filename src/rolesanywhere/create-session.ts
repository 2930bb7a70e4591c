import { setTimeout as sleep } from 'node:timers/promises';
import type { Signer } from '../signer/signer';
import { signerLeaf } from '../signer/signer-leaf';
import { signX509Request, type X509SigningDebugEvent } from '../sigv4-x509/sign';
import { VERSION } from '../version';
import { readUserFile } from '../x509/load';
import { serialToDecimal, serialToHex } from '../x509/serial';
import { mapErrorResponse, type SessionContext } from './error-response';
import {
  resolveTimeouts,
  sendHttpRequest,
  type TimeoutOptions,
  type TransportOptions,
} from './http-transport';
import { resolveProxy } from './proxy';
import { backoffDelay, isRetryableStatus, type RetryOptions, resolveRetryOptions } from './retry';
import { buildSessionRequest, resolveSessionInput } from './session-input';
import { parseSessionResponse, type SessionCredentials } from './session-response';

export interface CreateSessionOptions {
  signer: Signer;
  trustAnchorArn: string;
  profileArn: string;
  roleArn: string;
  /** Default: the trust anchor ARN's region. */
  region?: string;
  /** Default: https://rolesanywhere.<region>.amazonaws.com (.com.cn in China). */
  endpoint?: string;
  /** 900..43200, default 3600. */
  durationSeconds?: number;
  roleSessionName?: string;
  /** --with-proxy: go through HTTPS_PROXY / HTTP_PROXY, honouring NO_PROXY. */
  proxy?: boolean;
  /** --no-verify-ssl sets false. */
  verifyTls?: boolean;
  /** Fixed signing date (tests), or a clock read on each attempt; default: now, per attempt. */
  signingDate?: Date | (() => Date);
  timeouts?: TimeoutOptions;
  retries?: RetryOptions;
  /** Where AWS_CA_BUNDLE and the proxy variables are read; default process.env. */
  env?: Record<string, string | undefined>;
  /** Debug lines (attempts, retries, outcome); never given a secret. */
  debug?: (message: string) => void;
}

export type { SessionCredentials } from './session-response';

/**
 * IAM Roles Anywhere CreateSession: checks the inputs, signs POST /sessions with the
 * certificate's key (SigV4-X509), sends it, and returns the temporary credentials. 429, 5xx
 * and transient network failures are retried with full-jitter backoff, re-signed each time.
 */
export async function createSession(options: CreateSessionOptions): Promise<SessionCredentials> {
  const input = resolveSessionInput(options);
  const retries = resolveRetryOptions(options.retries);
  const env = options.env ?? process.env;
  const debug = options.debug ?? (() => {});
  const endpointUrl = input.endpoint.url;
  const leaf = signerLeaf(options.signer);
  const context: SessionContext = {
    serialDecimal: serialToDecimal(leaf),
    serialHex: serialToHex(leaf),
    trustAnchorArn: input.trustAnchor.arn,
    profileArn: input.profile.arn,
    roleArn: input.role.arn,
    region: input.region,
    endpointUrl,
  };
  // Extra CAs only matter to a TLS handshake: an http endpoint (a local one) does not read them.
  const caBundle = input.endpoint.protocol === 'https:' ? env.AWS_CA_BUNDLE?.trim() : undefined;
  const proxyUrl = options.proxy ? resolveProxy(input.endpoint, env) : undefined;
  const transport: TransportOptions = {
    timeouts: resolveTimeouts(options.timeouts),
    verifyTls: options.verifyTls !== false,
    ...(caBundle ? { extraCa: readUserFile(caBundle, 'AWS_CA_BUNDLE file').toString('utf8') } : {}),
    ...(proxyUrl ? { proxyUrl } : {}),
  };
  const unsigned = buildSessionRequest(input, `rolesanywhere-agent/${VERSION}`);
  const dateFor = () => {
    const given = options.signingDate;
    return given === undefined ? new Date() : typeof given === 'function' ? given() : given;
  };

  // What the signature covers, to compare with a server's view of the request.
  const debugSigning = ({ canonicalRequest, stringToSign }: X509SigningDebugEvent) => {
    debug(`canonical request:\n${canonicalRequest}`);
    debug(`string to sign:\n${stringToSign}`);
  };

  for (let attempt = 1; ; attempt++) {
    const signed = await signX509Request(unsigned, {
      signer: options.signer,
      region: input.region,
      service: 'rolesanywhere',
      signingDate: dateFor(),
      ...(options.debug ? { debug: debugSigning } : {}),
    });
    debug(
      `createsession attempt ${attempt}/${retries.maxAttempts}: POST ${endpointUrl}/sessions for certificate serial ${context.serialDecimal}`,
    );
    const result = await sendHttpRequest(signed, transport);
    const last = attempt >= retries.maxAttempts;

    if (result.ok) {
      const { response } = result;
      if (response.statusCode >= 200 && response.statusCode < 300) {
        const credentials = parseSessionResponse(response.body, endpointUrl);
        debug(
          `createsession succeeded (${response.statusCode}): access key ${credentials.accessKeyId}, expires ${credentials.expiration.toISOString()}`,
        );
        return credentials;
      }
      if (!last && isRetryableStatus(response.statusCode)) {
        const delay = backoffDelay(attempt, retries);
        debug(`createsession attempt ${attempt} got ${response.statusCode}; retrying in ${delay} ms`);
        await sleep(delay);
        continue;
      }
      throw mapErrorResponse(response, context, attempt);
    }

    if (!last && result.retryable) {
      const delay = backoffDelay(attempt, retries);
      debug(
        `createsession attempt ${attempt} failed (${result.error.code}: ${result.error.message}); retrying in ${delay} ms`,
      );
      await sleep(delay);
      continue;
    }
    if (attempt > 1) result.error.message = `${result.error.message} (after ${attempt} attempts)`;
    throw result.error;
  }
}
