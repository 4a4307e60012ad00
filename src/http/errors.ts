// Turns every failure into application/problem+json (RFC 9457).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { type FieldError, Problem } from '../problem.ts';

export const PROBLEM_JSON = 'application/problem+json';

function sendProblem(req: FastifyRequest, reply: FastifyReply, p: Problem): FastifyReply {
  for (const [k, v] of Object.entries(p.headers)) reply.header(k, v);
  return reply
    .code(p.status)
    .type(PROBLEM_JSON)
    .send(JSON.stringify(p.body(req.url.split('?')[0] ?? req.url, req.id)));
}

function fieldErrors(error: FastifyError & { validation: Array<Record<string, unknown>> }): FieldError[] {
  const where = error.validationContext ?? 'body';
  return error.validation.map((v) => {
    const path = String(v.instancePath ?? '')
      .split('/')
      .filter(Boolean);
    const params = (v.params ?? {}) as { keys?: unknown };
    // zod reports unknown keys on the parent object: name the keys themselves.
    const keys = v.keyword === 'unrecognized_keys' && Array.isArray(params.keys) ? params.keys.map(String) : [];
    if (keys.length) return { field: [where, ...path, keys.join(',')].join('.'), message: String(v.message ?? 'unknown field') };
    return { field: [where, ...path].join('.'), message: String(v.message ?? 'invalid') };
  });
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, req, reply) => {
    if (error instanceof Problem) return sendProblem(req, reply, error);
    if (hasZodFastifySchemaValidationErrors(error)) {
      const errors = fieldErrors(error as unknown as FastifyError & { validation: Array<Record<string, unknown>> });
      const first = errors[0];
      return sendProblem(
        req,
        reply,
        new Problem(400, 'validation-error', 'Invalid request', first ? `${first.field}: ${first.message}` : 'invalid', {
          errors,
        }),
      );
    }
    if (isResponseSerializationError(error)) {
      req.log.error({ err: error }, 'response did not match its schema');
      return sendProblem(req, reply, new Problem(500, 'internal', 'Internal error', 'The server failed; the error was logged.'));
    }
    switch (error.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return sendProblem(
          req,
          reply,
          new Problem(400, 'malformed-json', 'Malformed JSON', 'The request body is not valid JSON.'),
        );
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendProblem(req, reply, new Problem(400, 'malformed-json', 'Malformed JSON', 'The JSON request body is empty.'));
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendProblem(req, reply, new Problem(413, 'body-too-large', 'Request body too large', error.message));
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return sendProblem(
          req,
          reply,
          new Problem(415, 'unsupported-media-type', 'Unsupported media type', 'Send application/json.'),
        );
    }
    if (error instanceof SyntaxError || (error.statusCode && error.statusCode >= 400 && error.statusCode < 500)) {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
      return sendProblem(req, reply, new Problem(status, 'bad-request', 'Bad request', error.message));
    }
    req.log.error({ err: error }, 'unhandled error');
    return sendProblem(req, reply, new Problem(500, 'internal', 'Internal error', 'The server failed; the error was logged.'));
  });

  app.setNotFoundHandler((req, reply) =>
    sendProblem(req, reply, new Problem(404, 'not-found', 'Not found', `No route ${req.method} ${req.url.split('?')[0]}.`)),
  );
}
