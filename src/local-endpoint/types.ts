import type { X509Certificate, x509 } from '../x509/x509';

/** The AWS resources the local endpoint serves, as read from a template or config file. */
export interface LocalResources {
  region: string;
  account: string;
  trustAnchors: TrustAnchor[];
  profiles: Profile[];
  roles: Role[];
  crls: Crl[];
  /** What loading skipped or assumed (ignored resource types, defaults taken): for the user to read. */
  warnings?: string[];
}

export interface TrustAnchor {
  logicalId: string;
  trustAnchorId: string;
  arn: string;
  name: string;
  enabled: boolean;
  /** CA certificates from the anchor's CERTIFICATE_BUNDLE source. */
  certificates: X509Certificate[];
}

export interface Profile {
  logicalId: string;
  profileId: string;
  arn: string;
  name: string;
  enabled: boolean;
  /** The profile's duration cap (default 3600). */
  durationSeconds: number;
  roleArns: string[];
  acceptRoleSessionName: boolean;
  managedPolicyArns: string[];
  sessionPolicy?: string;
}

export interface Role {
  logicalId: string;
  name: string;
  arn: string;
  /** AROA... id, deterministic. */
  roleId: string;
  /** Parsed AssumeRolePolicyDocument. */
  trustPolicy: PolicyDocument;
  managedPolicyArns: string[];
  maxSessionDuration: number;
}

export interface Crl {
  logicalId: string;
  crlId: string;
  arn: string;
  name: string;
  enabled: boolean;
  trustAnchorArn: string | undefined;
  crl: x509.X509Crl;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement[];
}

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** One issued set of temporary credentials, remembered so STS and S3 can verify requests signed with it. */
export interface IssuedSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  account: string;
  roleArn: string;
  roleSessionName: string;
  /** arn:aws:sts::<account>:assumed-role/<role name>/<session name> */
  assumedRoleArn: string;
  /** <role id>:<session name> */
  assumedRoleId: string;
  sourceIdentity: string;
  tags: Record<string, string>;
  certificateSerial: string;
}

/** A request as the endpoint's route handlers see it: fully read, headers as node received them. */
export interface EndpointRequest {
  method: string;
  /** Path without the query string, as sent (not decoded). */
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  sourceAddress: string;
}

export interface EndpointResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}
