/** One DER element: its tag byte, where it starts, and where its contents start and end. */
export interface DerElement {
  tag: number;
  /** Offset of the tag byte. */
  offset: number;
  /** Offset of the first byte of the contents. */
  start: number;
  /** Offset just past the contents (and past the element). */
  end: number;
}

/**
 * Reads the element at `offset` of `bytes`, within `limit` (default: the end of `bytes`). Strict
 * DER as certificates use it: single-byte tags, definite lengths of at most four length bytes.
 * Undefined for anything else, truncated input included: callers then leave the bytes to a full
 * parser, which says what is wrong.
 */
export function readElement(bytes: Uint8Array, offset: number, limit = bytes.length): DerElement | undefined {
  if (offset + 2 > limit) return undefined;
  const tag = bytes[offset] as number;
  // High tag numbers (low five bits all set) never occur in the fields read here.
  if ((tag & 0x1f) === 0x1f) return undefined;
  let length = bytes[offset + 1] as number;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    // 0x80 is the indefinite length of BER, not DER.
    if (count === 0 || count > 4 || start + count > limit) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[start + i] as number);
    start += count;
  }
  const end = start + length;
  return end > limit ? undefined : { tag, offset, start, end };
}

/** The elements directly inside a constructed element (a SEQUENCE's fields), or undefined if they do not fill it exactly. */
export function readChildren(bytes: Uint8Array, parent: DerElement): DerElement[] | undefined {
  const children: DerElement[] = [];
  for (let offset = parent.start; offset < parent.end; ) {
    const child = readElement(bytes, offset, parent.end);
    if (!child) return undefined;
    children.push(child);
    offset = child.end;
  }
  return children;
}

/** Whether a constructed element (tag bit 0x20) holds well-formed elements that fill it exactly, all the way down. */
export function isWellFormed(bytes: Uint8Array, element: DerElement): boolean {
  if ((element.tag & 0x20) === 0) return true;
  const children = readChildren(bytes, element);
  return children?.every((child) => isWellFormed(bytes, child)) === true;
}
