import { awsError } from './aws-error';

/** S3's rules for new bucket names (3-63 of a-z 0-9 . -, starting and ending alphanumeric, not an IP). */
export function isValidBucketName(name: string): boolean {
  return (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !name.startsWith('xn--')
  );
}

const MAX_KEY_BYTES = 1024;
/** Most file systems cap a file name at 255 bytes. */
const MAX_SEGMENT_BYTES = 255;

/**
 * One '/'-separated part of a key as a file name. '%' and NUL are percent-encoded, and the
 * segments a file system gives meaning to ('', '.', '..') become '%', '%2E', '%2E%2E'; so no
 * encoded segment can climb out of the bucket, and decoding gives back the exact key.
 */
export function encodeSegment(segment: string): string {
  if (segment === '') return '%';
  if (segment === '.') return '%2E';
  if (segment === '..') return '%2E%2E';
  return segment.replace(/%/g, '%25').replace(/\0/g, '%00');
}

export function decodeSegment(name: string): string {
  if (name === '%') return '';
  return name.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** Object keys as relative file paths under the bucket's folder ('a/b/c.txt' -> ['a', 'b', 'c.txt']). */
export function keyToSegments(key: string): string[] {
  if (key === '') throw awsError(400, 'InvalidArgument', 'the object key must not be empty');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw awsError(400, 'KeyTooLongError', 'Your key is too long (at most 1024 bytes)');
  }
  const segments = key.split('/').map(encodeSegment);
  for (const segment of segments) {
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) {
      throw awsError(
        400,
        'KeyTooLongError',
        `the local endpoint stores each '/'-separated part of a key as a file name, at most ${MAX_SEGMENT_BYTES} bytes`,
      );
    }
  }
  return segments;
}

export function segmentsToKey(names: string[]): string {
  return names.map(decodeSegment).join('/');
}

/** Sort order of S3 listings: UTF-8 bytes, which differs from JS string order for astral characters. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
