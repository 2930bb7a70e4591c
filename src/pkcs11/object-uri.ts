import type { ModuleChoice } from './module-path';
import type { SlotToken } from './token-select';
import { formatPkcs11Uri, type Pkcs11ObjectType, type Pkcs11Uri } from './uri';

/** What a printed URI carries over from the one the user gave: how to reach the module and the PIN file. */
export interface UriCarryOver {
  modulePath?: string;
  moduleName?: string;
  pinSource?: string;
}

/**
 * The module and PIN source a user's URI and --pkcs11-lib named, so that a printed object URI
 * works as it is. Never the pin-value: printed URIs end up in shell history and configs.
 */
export function carryOver(uri: Pkcs11Uri, choice: ModuleChoice): UriCarryOver {
  return {
    ...(choice.source === 'module-path' || choice.source === 'option' ? { modulePath: choice.path } : {}),
    ...(choice.source === 'module-name' && uri.moduleName ? { moduleName: uri.moduleName } : {}),
    ...(uri.pinSource !== undefined ? { pinSource: uri.pinSource } : {}),
  };
}

/** Every byte as %XX: ids are binary, and a half-readable "%A3lI%DF" helps nobody. */
function percentEncodeAll(bytes: Uint8Array): string {
  return [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0').toUpperCase()}`).join('');
}

/** `pkcs11:token=<label>;object=<label>;id=<id>;type=<type>` plus what `extras` carries. */
export function objectUri(
  token: Pick<SlotToken, 'label'>,
  object: { label: string; id: Uint8Array },
  type: Pkcs11ObjectType,
  extras: UriCarryOver = {},
): string {
  const base = formatPkcs11Uri({
    token: token.label,
    ...(object.label !== '' ? { object: object.label } : {}),
  });
  const id = object.id.length > 0 ? `;id=${percentEncodeAll(object.id)}` : '';
  const query = formatPkcs11Uri(extras).slice('pkcs11:'.length);
  return `${base}${id};type=${type}${query}`;
}
