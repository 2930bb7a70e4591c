import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** The additional checksums S3 accepts (x-amz-checksum-<name>), all base64 of the big-endian digest. */
export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export interface Checksum {
  update(data: Buffer): void;
  /** base64, as in the x-amz-checksum-* header. */
  digest(): string;
}

function uint32Base64(value: number): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out.toString('base64');
}

function crc32Checksum(): Checksum {
  let value = 0;
  return {
    update: (data) => {
      value = crc32(data, value);
    },
    digest: () => uint32Base64(value),
  };
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli) has no node:zlib function; a table-driven one is fast enough for a dev endpoint. */
function crc32cChecksum(): Checksum {
  let crc = 0xffffffff;
  return {
    update: (data) => {
      for (let i = 0; i < data.length; i++)
        crc = (CRC32C_TABLE[(crc ^ (data[i] ?? 0)) & 0xff] ?? 0) ^ (crc >>> 8);
    },
    digest: () => uint32Base64(crc ^ 0xffffffff),
  };
}

function hashChecksum(name: 'sha1' | 'sha256'): Checksum {
  const hash = createHash(name);
  return {
    update: (data) => {
      hash.update(data);
    },
    digest: () => hash.digest('base64'),
  };
}

/** A running checksum, or undefined for an algorithm this endpoint does not compute (CRC64NVME). */
export function createChecksum(algorithm: ChecksumAlgorithm): Checksum | undefined {
  switch (algorithm) {
    case 'crc32':
      return crc32Checksum();
    case 'crc32c':
      return crc32cChecksum();
    case 'sha1':
    case 'sha256':
      return hashChecksum(algorithm);
    default:
      return undefined;
  }
}

export function isChecksumAlgorithm(value: string): value is ChecksumAlgorithm {
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(value);
}
