// Apart from key-spec.ts so the CLI can list the choices without loading the PKCS#11 addon.

/** The key types `key generate` makes: the ones IAM Roles Anywhere and most tokens (TPMs too) accept. */
export const KEY_TYPE_NAMES = ['ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072'] as const;
export type KeyTypeName = (typeof KEY_TYPE_NAMES)[number];
