/**
 * Password hashing with scrypt (RFC 7914) and the password rules. Hashes are self-describing
 * (`scrypt$N$r$p$salt$hash`, base64url) so the cost can be raised later without breaking stored ones.
 * @see https://www.rfc-editor.org/rfc/rfc7914
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#scrypt
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const keyLength = 32;
const defaults = { N: 2 ** 15, r: 8, p: 1 };

function scrypt(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(
      password.normalize('NFC'),
      salt,
      keyLength,
      { ...options, maxmem: 128 * 1024 * 1024 },
      (error, key) => {
        if (error === null) {
          resolve(key);
        } else {
          reject(error);
        }
      },
    );
  });
}

/** Hashes a password (random 16-byte salt, N = 2^15, r = 8, p = 1). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, defaults);
  return [
    'scrypt',
    defaults.N,
    defaults.r,
    defaults.p,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$');
}

/** Whether `password` matches `stored` (constant-time comparison; a malformed hash never matches). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || n === undefined || r === undefined || p === undefined || !salt || !hash) {
    return false;
  }
  const expected = Buffer.from(hash, 'base64url');
  const key = await scrypt(password, Buffer.from(salt, 'base64url'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * What is wrong with a new password (empty when it is acceptable): at least 12 characters, not the user
 * name, not one repeated character.
 * @see https://pages.nist.gov/800-63-3/sp800-63b.html#memsecret
 */
export function passwordProblems(password: string, username: string): string[] {
  const problems: string[] = [];
  if (Array.from(new Intl.Segmenter().segment(password)).length < 12) {
    problems.push('at least 12 characters');
  }
  if (password.toLowerCase().includes(username.toLowerCase()) && username !== '') {
    problems.push('must not contain the user name');
  }
  if (/^(.)\1*$/u.test(password)) {
    problems.push('must not be one repeated character');
  }
  return problems;
}

/** A random secret (session id, token, generated password), base64url. */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
