import pkcs11js from 'pkcs11js';
import { AgentError, isAgentError } from '../errors';
import { rvOf } from './error';
import { findObjects, type Template } from './objects';
import { type TokenSession, toWriteError } from './token-session';

/** What a token answers when a template names an attribute it does not know or take. */
const ATTRIBUTE_REFUSED = new Set([
  pkcs11js.CKR_ATTRIBUTE_TYPE_INVALID,
  pkcs11js.CKR_ATTRIBUTE_VALUE_INVALID,
  pkcs11js.CKR_TEMPLATE_INCONSISTENT,
]);

/** Destroys `handles` (newest first); returns those the token would not destroy. */
export function destroyObjects(token: TokenSession, handles: readonly Buffer[]): Buffer[] {
  const left: Buffer[] = [];
  for (const handle of [...handles].reverse()) {
    try {
      token.api.C_DestroyObject(token.session, handle);
    } catch {
      left.push(handle);
    }
  }
  return left;
}

/**
 * Destroys every object matching `template` (objects this process just made and knows no
 * other object shares the template with); returns how many stayed.
 */
export function sweepObjects(token: TokenSession, template: Template): number {
  let found: Buffer[];
  try {
    found = findObjects(token.api, token.session, template, `cannot search objects on ${token.description}`);
  } catch {
    return 0;
  }
  return destroyObjects(token, found).length;
}

/**
 * Adds to `error` that the roll-back left objects behind (naming them by `what`), so the user
 * knows to delete them; errors with nothing left come back unchanged.
 */
export function withLeftovers(error: unknown, left: number, what: string): unknown {
  if (left === 0) return error;
  const message = `${isAgentError(error) || error instanceof Error ? error.message : String(error)}; ${left} object(s) could not be removed again: ${what}`;
  return new AgentError(isAgentError(error) ? error.code : 'PKCS11_ERROR', message, {
    hint: `delete them with pkcs11-tool --delete-object (${what}), then try again`,
    cause: error,
  });
}

/**
 * Creates the objects in order; when one fails, destroys those already made (nothing is left
 * half-written) and throws the failure (read-only and full tokens with their own codes).
 * `fallbacks[i]` is tried instead of `templates[i]` when the token refuses an attribute of it.
 */
export function createObjects(
  token: TokenSession,
  items: ReadonlyArray<{ template: Template; fallback?: Template; what: string }>,
): Buffer[] {
  const created: Buffer[] = [];
  for (const item of items) {
    try {
      created.push(createOne(token, item));
    } catch (error) {
      const left = destroyObjects(token, created);
      throw withLeftovers(
        toWriteError(
          error,
          'C_CreateObject',
          `cannot store ${item.what} on ${token.description}`,
          token.info,
        ),
        left.length,
        items
          .slice(0, created.length)
          .map((done) => done.what)
          .join(', '),
      );
    }
  }
  return created;
}

/**
 * pkcs11js 2.1 throws C_CreateObject failures as plain errors ("CKR_X:19"), not as its
 * Pkcs11Error with a code: make them Pkcs11Errors so the return value can be told.
 */
function asPkcs11Failure(error: unknown): unknown {
  if (rvOf(error) !== undefined || !(error instanceof Error)) return error;
  const match = /^(CKR_\w+):(\d+)$/.exec(error.message);
  return match ? new pkcs11js.Pkcs11Error(error.message, Number(match[2]), 'C_CreateObject') : error;
}

function create(token: TokenSession, template: Template): Buffer {
  try {
    return token.api.C_CreateObject(token.session, template);
  } catch (error) {
    throw asPkcs11Failure(error);
  }
}

function createOne(token: TokenSession, item: { template: Template; fallback?: Template }): Buffer {
  try {
    return create(token, item.template);
  } catch (error) {
    const rv = rvOf(error);
    if (!item.fallback || rv === undefined || !ATTRIBUTE_REFUSED.has(rv)) throw error;
    // The token refused an optional attribute (e.g. CKA_CERTIFICATE_CATEGORY on older modules).
    return create(token, item.fallback);
  }
}
