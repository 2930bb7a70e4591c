import { describe, expect, it } from 'vitest';
import { isAwsError } from '../../../src/local-endpoint/aws-error';
import {
  compareKeys,
  decodeSegment,
  encodeSegment,
  isValidBucketName,
  keyToSegments,
  segmentsToKey,
} from '../../../src/local-endpoint/s3-keys';

describe('object keys as file paths', () => {
  it('never yields a segment a file system treats specially', () => {
    for (const key of ['../../etc/passwd', '/abs/path', 'a/./b', 'a//b', '..', '.', 'a/', 'x/../..']) {
      const segments = keyToSegments(key);
      for (const segment of segments) {
        expect(['', '.', '..']).not.toContain(segment);
        expect(segment).not.toContain('/');
        expect(segment).not.toContain('\0');
      }
      expect(segmentsToKey(segments)).toBe(key);
    }
  });

  it('round-trips keys whose text looks like the encoding itself', () => {
    for (const segment of ['%', '%2E', '%25', '100%', 'a%2Fb', '\0', 'plain.txt', 'ünï-cødé 😀']) {
      expect(decodeSegment(encodeSegment(segment))).toBe(segment);
    }
    expect(encodeSegment('..')).toBe('%2E%2E');
    expect(encodeSegment('%2E%2E')).toBe('%252E%252E');
  });

  it('refuses empty and over-long keys and over-long segments', () => {
    for (const key of ['', 'a'.repeat(1025), `${'b'.repeat(300)}/c`]) {
      let error: unknown;
      try {
        keyToSegments(key);
      } catch (caught) {
        error = caught;
      }
      expect(isAwsError(error)).toBe(true);
    }
  });

  it('orders keys by UTF-8 bytes, as S3 lists them', () => {
    // '～' (U+FF5E) is EF BD 9E in UTF-8 and '😀' (U+1F600) F0 9F 98 80, so S3 lists '～' first;
    // JS compares UTF-16 units (0xFF5E against the surrogate 0xD83D) and puts '😀' first.
    const keys = ['b', 'a/b', '😀', '～', 'a'];
    const sorted = [...keys].sort(compareKeys);
    expect(sorted).toEqual(['a', 'a/b', 'b', '～', '😀']);
    expect(['😀', '～'].sort()).toEqual(['😀', '～']); // JS string order differs
  });

  it('accepts bucket names S3 accepts and nothing that could be a path', () => {
    expect(isValidBucketName('my-secure-onprem-backups')).toBe(true);
    expect(isValidBucketName('a.b-c')).toBe(true);
    for (const name of [
      '..',
      '.hidden',
      'ab',
      'UPPER',
      'a..b',
      '192.168.1.1',
      'a/b',
      `x${'y'.repeat(63)}`,
      'bucket-',
    ]) {
      expect(isValidBucketName(name), name).toBe(false);
    }
  });
});
