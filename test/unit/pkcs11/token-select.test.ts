import { describe, expect, it } from 'vitest';
import {
  libraryMismatches,
  type SlotToken,
  slotIdOf,
  tokenMatches,
  tokenPart,
} from '../../../src/pkcs11/token-select';
import { parsePkcs11Uri } from '../../../src/pkcs11/uri';

const token: SlotToken = {
  slot: Buffer.alloc(8),
  slotId: 2077572678n,
  slotDescription: 'SoftHSM slot ID 0x7bd5e246',
  slotManufacturer: 'SoftHSM project',
  label: 'ra-test',
  manufacturer: 'SoftHSM project',
  model: 'SoftHSM v2',
  serial: '35787ecf01fbca10',
  flags: 0x42d,
};

describe('tokenMatches', () => {
  it.each([
    ['pkcs11:', true],
    ['pkcs11:token=ra-test', true],
    ['pkcs11:token=ra-test;serial=35787ecf01fbca10;model=SoftHSM%20v2;manufacturer=SoftHSM%20project', true],
    ['pkcs11:slot-id=2077572678', true],
    ['pkcs11:slot-description=SoftHSM%20slot%20ID%200x7bd5e246;slot-manufacturer=SoftHSM%20project', true],
    ['pkcs11:token=ra-test;object=other;id=%99', true],
    ['pkcs11:token=ra-tes', false],
    ['pkcs11:token=RA-TEST', false],
    ['pkcs11:token=ra-test;serial=0', false],
    ['pkcs11:slot-id=1', false],
    ['pkcs11:model=SoftHSM', false],
  ])('%s -> %s', (text, expected) => {
    expect(tokenMatches(parsePkcs11Uri(text), token)).toBe(expected);
  });
});

describe('libraryMismatches', () => {
  const library = {
    manufacturer: 'SoftHSM',
    description: 'Implementation of PKCS11',
    version: { major: 2, minor: 6 },
  };
  it('lists each library-* attribute the module does not satisfy', () => {
    expect(
      libraryMismatches(parsePkcs11Uri('pkcs11:library-manufacturer=SoftHSM;library-version=2.6'), library),
    ).toEqual([]);
    expect(
      libraryMismatches(
        parsePkcs11Uri('pkcs11:library-manufacturer=OpenSC;library-description=x;library-version=2'),
        library,
      ),
    ).toEqual([
      'library-manufacturer is "SoftHSM"',
      'library-description is "Implementation of PKCS11"',
      'library-version is 2.6',
    ]);
  });
});

describe('slotIdOf', () => {
  it('reads a native-endian CK_ULONG', () => {
    const slot = Buffer.alloc(8);
    slot.writeBigUInt64LE(2077572678n);
    expect(slotIdOf(slot)).toBe(2077572678n);
    const small = Buffer.alloc(4);
    small.writeUInt32LE(7);
    expect(slotIdOf(small)).toBe(7n);
  });
});

describe('tokenPart', () => {
  it('keeps the token attributes and drops object, id, type and the PIN', () => {
    expect(
      tokenPart(
        parsePkcs11Uri('pkcs11:token=a%20b;object=k;id=%01;type=private?pin-value=1234&module-name=softhsm2'),
      ),
    ).toBe('pkcs11:token=a%20b?module-name=softhsm2');
  });
});
