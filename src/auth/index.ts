/**
 * Authentication primitives: password hashing and rules, secret hashing. The API's sign-in, sessions and
 * role checks are in `api/auth.ts`; the accounts are stored through the `AuthStore` port.
 */
export { hashPassword, passwordProblems, randomSecret, verifyPassword } from './passwords.ts';
export { secretHash } from './tokens.ts';
