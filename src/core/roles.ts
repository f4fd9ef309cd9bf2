/**
 * The roles a caller can hold. Every API route declares the role it needs; access control enforces it.
 */
export const roles = ['public', 'integration', 'ingest', 'grader', 'ophthalmologist', 'admin'] as const;

/** One role. `public` means no authentication is needed. */
export type Role = (typeof roles)[number];
