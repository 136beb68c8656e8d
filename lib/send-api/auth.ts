/**
 * The bearer token check of the send API. Compared in constant time over SHA-256 digests, so
 * neither the token's characters nor its length show in the time an answer takes.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from './errors.ts';

/** Throws `UnauthorizedError` unless `authorization` is `Bearer <token>` with the expected token. */
export function checkBearer(authorization: string | undefined, token: string): void {
  const given = /^bearer +(\S+) *$/i.exec(authorization ?? '')?.[1];
  if (given === undefined || !sameSecret(given, token)) throw new UnauthorizedError();
}

export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
