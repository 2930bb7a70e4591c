import { endianness } from 'node:os';
import pkcs11js from 'pkcs11js';
import { AgentError } from '../errors';
import { call } from './error';
import type { Pkcs11LibraryInfo, Pkcs11Module } from './module';
import { formatPkcs11Uri, type Pkcs11Uri } from './uri';

/** A slot with an initialized token in it, as C_GetSlotInfo / C_GetTokenInfo describe them. */
export interface SlotToken {
  slot: Buffer;
  slotId: bigint;
  slotDescription: string;
  slotManufacturer: string;
  label: string;
  manufacturer: string;
  model: string;
  serial: string;
  flags: number;
}

/** CK_SLOT_ID as a number: pkcs11js hands slots over as native-endian CK_ULONG bytes. */
export function slotIdOf(slot: Buffer): bigint {
  const little = endianness() === 'LE';
  if (slot.length === 8) return little ? slot.readBigUInt64LE() : slot.readBigUInt64BE();
  if (slot.length === 4) return BigInt(little ? slot.readUInt32LE() : slot.readUInt32BE());
  return BigInt(`0x${slot.toString('hex') || '0'}`);
}

export function describeToken(token: Pick<SlotToken, 'label' | 'serial'>): string {
  return `token "${token.label}" (serial ${token.serial || 'none'})`;
}

/** Present, initialized tokens of the module. Slots whose token cannot be read are skipped. */
export function listTokens(module: Pkcs11Module): SlotToken[] {
  const { api } = module;
  const slots = call('C_GetSlotList', `cannot list the slots of pkcs11 module ${module.path}`, () =>
    api.C_GetSlotList(true),
  );
  const tokens: SlotToken[] = [];
  for (const slot of slots) {
    try {
      const slotInfo = api.C_GetSlotInfo(slot);
      const info = api.C_GetTokenInfo(slot);
      if ((info.flags & pkcs11js.CKF_TOKEN_INITIALIZED) === 0) continue;
      tokens.push({
        slot,
        slotId: slotIdOf(slot),
        slotDescription: slotInfo.slotDescription.trimEnd(),
        slotManufacturer: slotInfo.manufacturerID.trimEnd(),
        label: info.label.trimEnd(),
        manufacturer: info.manufacturerID.trimEnd(),
        model: info.model.trimEnd(),
        serial: info.serialNumber.trimEnd(),
        flags: info.flags,
      });
    } catch {
      // A slot whose token vanished between C_GetSlotList and C_GetTokenInfo: not a candidate.
    }
  }
  return tokens;
}

/** Whether the token satisfies the URI's token and slot attributes (pure). */
export function tokenMatches(uri: Pkcs11Uri, token: SlotToken): boolean {
  return (
    (uri.token === undefined || uri.token === token.label) &&
    (uri.manufacturer === undefined || uri.manufacturer === token.manufacturer) &&
    (uri.model === undefined || uri.model === token.model) &&
    (uri.serial === undefined || uri.serial === token.serial) &&
    (uri.slotId === undefined || uri.slotId === token.slotId) &&
    (uri.slotDescription === undefined || uri.slotDescription === token.slotDescription) &&
    (uri.slotManufacturer === undefined || uri.slotManufacturer === token.slotManufacturer)
  );
}

/** The library-* attributes the module does not satisfy, as "name=value" strings (pure). */
export function libraryMismatches(uri: Pkcs11Uri, library: Pkcs11LibraryInfo): string[] {
  const mismatches: string[] = [];
  if (uri.libraryManufacturer !== undefined && uri.libraryManufacturer !== library.manufacturer) {
    mismatches.push(`library-manufacturer is "${library.manufacturer}"`);
  }
  if (uri.libraryDescription !== undefined && uri.libraryDescription !== library.description) {
    mismatches.push(`library-description is "${library.description}"`);
  }
  const version = uri.libraryVersion;
  if (version && (version.major !== library.version.major || version.minor !== library.version.minor)) {
    mismatches.push(`library-version is ${library.version.major}.${library.version.minor}`);
  }
  return mismatches;
}

/** The token part of a URI, for messages (object, id and PIN left out). */
export function tokenPart(uri: Pkcs11Uri): string {
  const { object: _object, id: _id, type: _type, pinValue: _pin, pinSource: _source, ...rest } = uri;
  return formatPkcs11Uri(rest);
}

function listed(tokens: readonly SlotToken[]): string {
  if (tokens.length === 0) return 'none';
  return tokens
    .map((token) => `"${token.label}" (serial ${token.serial || 'none'}, slot ${token.slotId})`)
    .join(', ');
}

/** Exactly one token of the module matching the URI, or an error listing what there is. */
export function selectToken(module: Pkcs11Module, uri: Pkcs11Uri): SlotToken {
  const wanted = tokenPart(uri);
  const mismatches = libraryMismatches(uri, module.library);
  if (mismatches.length > 0) {
    throw new AgentError(
      'PKCS11_TOKEN_NOT_FOUND',
      `pkcs11 module ${module.path} does not match ${wanted}: its ${mismatches.join(', ')}`,
      {
        hint: 'fix the library-* attributes of the URI, or point module-path / --pkcs11-lib at the intended module',
      },
    );
  }
  const tokens = listTokens(module);
  const matching = tokens.filter((token) => tokenMatches(uri, token));
  if (matching.length === 0) {
    throw new AgentError(
      'PKCS11_TOKEN_NOT_FOUND',
      `no token matches ${wanted} in pkcs11 module ${module.path}; tokens found: ${listed(tokens)}`,
      {
        hint:
          tokens.length === 0
            ? 'check that the token is plugged in and initialized (pkcs11-tool --module <lib> --list-slots)'
            : 'use token=<label> or serial=<serial> from the tokens found',
      },
    );
  }
  if (matching.length > 1) {
    throw new AgentError(
      'PKCS11_TOKEN_AMBIGUOUS',
      `${matching.length} tokens match ${wanted} in pkcs11 module ${module.path}: ${listed(matching)}`,
      {
        hint: 'add token=<label> or serial=<serial> to the URI to pick one',
      },
    );
  }
  return matching[0] as SlotToken;
}
