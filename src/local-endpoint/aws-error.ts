/**
 * An error a route answers with, in the terms AWS uses: HTTP status, error code, message.
 * Each protocol (S3 XML, STS query XML, JSON) renders it in its own shape.
 */
export interface AwsError extends Error {
  readonly status: number;
  readonly code: string;
  /** Extra S3 error fields (Key, BucketName, ...), in order. */
  readonly details: Record<string, string>;
}

export function awsError(
  status: number,
  code: string,
  message: string,
  details: Record<string, string> = {},
): AwsError {
  return Object.assign(new Error(message), { name: 'AwsError', status, code, details });
}

export function isAwsError(value: unknown): value is AwsError {
  return value instanceof Error && value.name === 'AwsError' && typeof (value as AwsError).code === 'string';
}

const XML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Text for XML element content; control characters as numeric references, as S3 writes them. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[&<>"']/g, (c) => XML_ENTITIES[c] ?? c)
    .replace(/\p{Cc}/gu, (c) =>
      c === '\t' || c === '\n' || c === '\r' ? c : `&#x${c.charCodeAt(0).toString(16)};`,
    );
}
