export {
  type FromRolesAnywhereOptions,
  fromRolesAnywhere,
  type RolesAnywhereCredentialProvider,
  type RolesAnywhereKeySource,
  type RolesAnywherePkcs11Options,
} from './from-roles-anywhere';
