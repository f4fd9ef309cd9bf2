/**
 * Secrets at rest: session ids and service tokens are stored as their SHA-256 only, so a database dump does
 * not let anyone in; they are compared by hash lookup.
 */
import { createHash } from 'node:crypto';

/** SHA-256 (hex) of a secret. */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
