import type { X509Certificate } from '../x509/x509';

/**
 * A verifier sees the same certificates on every request (a client's leaf, the trust anchors),
 * and decodeLeafHeader gives the same object for the same header: what follows from a
 * certificate alone is worked out once per certificate object. Results only, never errors.
 */
export function memoByCertificate<T>(compute: (cert: X509Certificate) => T): (cert: X509Certificate) => T {
  const known = new WeakMap<X509Certificate, T>();
  return (cert) => {
    if (known.has(cert)) return known.get(cert) as T;
    const value = compute(cert);
    known.set(cert, value);
    return value;
  };
}

/** The same for a pair of certificates (one signed by the other). */
export function memoByCertificatePair<T>(
  compute: (a: X509Certificate, b: X509Certificate) => Promise<T>,
): (a: X509Certificate, b: X509Certificate) => Promise<T> {
  const known = new WeakMap<X509Certificate, WeakMap<X509Certificate, T>>();
  return async (a, b) => {
    const forA = known.get(a);
    if (forA?.has(b)) return forA.get(b) as T;
    const value = await compute(a, b);
    const map = known.get(a) ?? new WeakMap<X509Certificate, T>();
    map.set(b, value);
    known.set(a, map);
    return value;
  };
}
