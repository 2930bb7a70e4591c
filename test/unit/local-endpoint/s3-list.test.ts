import { describe, expect, it } from 'vitest';
import {
  decodeContinuationToken,
  encodeContinuationToken,
  listPage,
} from '../../../src/local-endpoint/s3-list';

const keys = [
  'a.txt',
  'photos/2024/a.jpg',
  'photos/2024/b.jpg',
  'photos/2025/c.jpg',
  'photos/index.html',
  'z.txt',
];

function pages(prefix: string, delimiter: string | undefined, maxKeys: number) {
  const all: { contents: string[]; prefixes: string[] }[] = [];
  let after: { value: string; isPrefix: boolean } | undefined;
  for (let i = 0; i < 20; i++) {
    const page = listPage({
      keys: keys.filter((key) => key.startsWith(prefix)),
      prefix,
      delimiter,
      maxKeys,
      after,
    });
    all.push({ contents: page.contents, prefixes: page.commonPrefixes });
    if (!page.truncated) return all;
    after = decodeContinuationToken(encodeContinuationToken(page.last ?? { value: '', isPrefix: false }));
  }
  throw new Error('listing never ended');
}

describe('listing pages', () => {
  it('rolls keys up to common prefixes at the delimiter', () => {
    expect(pages('', '/', 1000)).toEqual([{ contents: ['a.txt', 'z.txt'], prefixes: ['photos/'] }]);
    expect(pages('photos/', '/', 1000)).toEqual([
      { contents: ['photos/index.html'], prefixes: ['photos/2024/', 'photos/2025/'] },
    ]);
  });

  it('counts keys and prefixes against max-keys and resumes without repeating a prefix', () => {
    expect(pages('', '/', 1)).toEqual([
      { contents: ['a.txt'], prefixes: [] },
      { contents: [], prefixes: ['photos/'] },
      { contents: ['z.txt'], prefixes: [] },
    ]);
    const flat = pages('', undefined, 4).flatMap((page) => page.contents);
    expect(flat).toEqual(keys);
  });

  it('reports truncation with max-keys 0 and a garbage token as undefined', () => {
    const page = listPage({ keys, prefix: '', delimiter: undefined, maxKeys: 0, after: undefined });
    expect(page.truncated).toBe(true);
    expect(page.contents).toEqual([]);
    expect(decodeContinuationToken('not-a-token')).toBeUndefined();
  });
});
