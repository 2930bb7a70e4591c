import type { IncomingMessage } from 'node:http';
import { type HttpError, httpError } from './http-error';

/**
 * Reads a request body of at most `limit` bytes. A declared or actual larger body is a 413
 * (the caller then closes the connection rather than reading the rest).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => httpError(413, 'BODY_TOO_LARGE', `the request body is larger than ${limit} bytes`);
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error: HttpError | undefined) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (error) reject(error);
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        finish(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(undefined);
    const onError = () => finish(httpError(400, 'BAD_REQUEST', 'the request body could not be read'));
    const onAborted = () =>
      finish(httpError(400, 'BAD_REQUEST', 'the client went away during the request body'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/** A JSON object body, or a 400 saying what is wrong with it. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw httpError(
      400,
      'INVALID_JSON',
      'the request body is not valid JSON',
      'send {"digest": "SHA256", "data": "<base64>"}',
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw httpError(
      400,
      'INVALID_JSON',
      'the request body must be a JSON object',
      'send {"digest": "SHA256", "data": "<base64>"}',
    );
  }
  return value as Record<string, unknown>;
}
