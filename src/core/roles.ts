/**
 * The roles a caller can hold. Every API route declares the role it needs; access control enforces it (deny
 * by default: a route without a role stops boot, a caller without the role gets 401 or 403).
 */
export const roles = ['public', 'integration', 'ingest', 'grader', 'ophthalmologist', 'admin'] as const;

/** One role. `public` means no authentication is needed. */
export type Role = (typeof roles)[number];

/**
 * What holding a role grants: an ophthalmologist may do what a grader may, both may read what an integration
 * reads; an admin may do everything; `ingest` (sending images) grants nothing else.
 */
const grants: Readonly<Record<Role, readonly Role[]>> = {
  public: ['public'],
  integration: ['public', 'integration'],
  ingest: ['public', 'ingest'],
  grader: ['public', 'integration', 'grader'],
  ophthalmologist: ['public', 'integration', 'grader', 'ophthalmologist'],
  admin: [...roles],
};

/** Whether a caller holding `held` may use a route that needs `required`. */
export function roleAllows(held: readonly Role[], required: Role): boolean {
  return required === 'public' || held.some((role) => grants[role].includes(required));
}

/** Who is calling: a signed-in user or a service token, with its roles. */
export interface Principal {
  readonly kind: 'user' | 'token';
  /** User name or token name (never the secret). */
  readonly name: string;
  readonly roles: readonly Role[];
  /** The session of a signed-in user (absent for tokens). */
  readonly sessionId?: string;
}
