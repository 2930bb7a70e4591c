export { type Arn, type ArnKind, type Partition, parseArn, parseResourceArn, type ResourceArn } from './arn';
export { type CreateSessionOptions, createSession } from './create-session';
export { defaultEndpointUrl, type ResolvedEndpoint, resolveEndpoint, resolveRegion } from './endpoint';
export { errorCodeFor, mapErrorResponse, parseAwsError } from './error-response';
export type { TimeoutOptions } from './http-transport';
export { matchesNoProxy, resolveProxy } from './proxy';
export type { RetryOptions } from './retry';
export type { SessionCredentials, SessionInfo } from './session-response';
