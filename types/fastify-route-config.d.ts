/**
 * Every Fovea route declares the role it needs in its route config (`config: { role }`), so that access
 * control is a switch in the API layer, not a rewrite of each route.
 */
import type { Role } from '../src/core/roles.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The role a caller must hold; `public` needs no authentication. */
    role?: Role;
  }
}
