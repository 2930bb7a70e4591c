/** Temporary AWS credentials as every output of the agent needs them. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/** Where credentials come from, in the AWS SDK's shape: each call may fetch anew. */
export type CredentialsProvider = () => Promise<Credentials>;
