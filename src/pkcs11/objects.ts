import { endianness } from 'node:os';
import type pkcs11js from 'pkcs11js';
import { call } from './error';
import type { Pkcs11Api } from './module';

export type Template = pkcs11js.Template;

/** Every object matching `template`, searched on `session` (C_FindObjectsInit/C_FindObjects/C_FindObjectsFinal). */
export function findObjects(api: Pkcs11Api, session: Buffer, template: Template, context: string): Buffer[] {
  call('C_FindObjectsInit', context, () => api.C_FindObjectsInit(session, template));
  const found: Buffer[] = [];
  try {
    for (;;) {
      const batch = call('C_FindObjects', context, () => api.C_FindObjects(session, 64));
      found.push(...batch);
      if (batch.length < 64) break;
    }
  } finally {
    try {
      api.C_FindObjectsFinal(session);
    } catch {
      // The search ends with the session anyway.
    }
  }
  return found;
}

/**
 * Attribute values by type; an attribute the object lacks or keeps secret is simply absent
 * (tried together first, one by one when the token refuses the batch).
 */
export function readAttributes(
  api: Pkcs11Api,
  session: Buffer,
  object: Buffer,
  types: readonly number[],
): Map<number, Buffer> {
  const values = new Map<number, Buffer>();
  try {
    for (const attribute of api.C_GetAttributeValue(
      session,
      object,
      types.map((type) => ({ type })),
    )) {
      values.set(attribute.type, attribute.value);
    }
    return values;
  } catch {
    for (const type of types) {
      try {
        const [attribute] = api.C_GetAttributeValue(session, object, [{ type }]);
        if (attribute) values.set(type, attribute.value);
      } catch {
        // Absent or sensitive: leave it out.
      }
    }
    return values;
  }
}

/** A CK_ULONG / CK_BBOOL attribute value as a number (native byte order, as pkcs11js returns it). */
export function ulongOf(value: Buffer | undefined): number | undefined {
  if (!value || value.length === 0) return undefined;
  if (value.length === 1) return value[0];
  const little = endianness() === 'LE';
  if (value.length === 4) return little ? value.readUInt32LE() : value.readUInt32BE();
  return Number(little ? value.readBigUInt64LE() : value.readBigUInt64BE());
}
