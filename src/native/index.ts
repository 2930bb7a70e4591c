// Native parts of the agent: the N-API addon and the fast credential_process client.
export { findNativeFile, NATIVE_BUILD_DIR } from './find-native-file';
export {
  findFastClient,
  loadNative,
  NATIVE_ADDON_FILE,
  type NativeBindings,
  type NativePkcs11Module,
  type PeerCredentials,
} from './load-native';
export { socketFd } from './socket-fd';
