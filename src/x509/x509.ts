// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the reflect
// polyfill loaded first. Every module of ours imports x509 from here, never directly.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[1]);

export type { X509Certificate } from '@peculiar/x509';
export { x509 };
