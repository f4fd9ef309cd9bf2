/**
 * The audit trail: `GET /api/studies/{uid}/audit` (who viewed or decided what about one study; ophthalmologist)
 * and `GET /api/audit` with the chain's verification (admin).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import type { AuditEvent, AuditLog } from '../../core/audit.ts';
import { StudyParamsSchema } from '../schemas.ts';

const AuditEventSchema = Type.Object({
  seq: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.String(),
  actorKind: Type.String(),
  action: Type.String(),
  target: Type.String(),
  studyInstanceUid: Type.Optional(Type.String()),
  outcome: Type.String(),
  from: Type.Optional(Type.String()),
  details: Type.Optional(
    Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
  ),
  hash: Type.String(),
});

const LimitSchema = Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }) });

function view(event: AuditEvent): Static<typeof AuditEventSchema> {
  return {
    seq: event.seq,
    at: event.at.toISOString(),
    actor: event.actor,
    actorKind: event.actorKind,
    action: event.action,
    target: event.target,
    ...(event.studyInstanceUid === undefined ? {} : { studyInstanceUid: event.studyInstanceUid }),
    outcome: event.outcome,
    ...(event.from === undefined ? {} : { from: event.from }),
    ...(event.details === undefined ? {} : { details: { ...event.details } }),
    hash: event.hash,
  };
}

/** Registers the audit routes. */
export function auditRoutes(options: { readonly audit: AuditLog }): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/api/studies/:StudyInstanceUID/audit',
      {
        config: { role: 'ophthalmologist' },
        schema: {
          tags: ['audit'],
          summary: "A study's audit trail, newest first",
          params: StudyParamsSchema,
          querystring: LimitSchema,
          response: { 200: Type.Object({ events: Type.Array(AuditEventSchema) }) },
        },
      },
      async (request) => ({
        events: (
          await options.audit.list({
            studyInstanceUid: request.params.StudyInstanceUID,
            limit: request.query.limit,
          })
        ).map(view),
      }),
    );
    app.get(
      '/api/audit',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['audit'],
          summary: 'The latest audit events and the verification of the whole hash chain',
          querystring: LimitSchema,
          response: {
            200: Type.Object({
              verification: Type.Object({
                ok: Type.Boolean(),
                events: Type.Integer(),
                broken: Type.Optional(Type.Object({ seq: Type.Integer(), reason: Type.String() })),
              }),
              events: Type.Array(AuditEventSchema),
            }),
          },
        },
      },
      async (request) => ({
        verification: await options.audit.verify(),
        events: (await options.audit.list({ limit: request.query.limit })).map(view),
      }),
    );
  };
}
