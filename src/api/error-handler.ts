import type { FastifyError, FastifyInstance } from 'fastify'
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod'
import { AppError, InfraError } from '../platform/errors.js'

/**
 * One error shape for the whole API: `{"error":{"code","message","details"}}`. Caller faults are
 * 4xx with a stable code; only our own faults are 5xx, and their internals are logged, not sent.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const details = err.validation.map((v) => ({
        field: [err.validationContext, ...String(v.instancePath).split('/').filter(Boolean)].join('.'),
        message: v.message,
      }))
      return reply.code(400).send(body('VALIDATION_FAILED', details.map((d) => `${d.field}: ${d.message}`).join('; '), details))
    }
    if (err instanceof AppError) return reply.code(err.statusCode).send(body(err.code, err.message, err.details))
    if (err instanceof InfraError && err.retriable) {
      req.log.warn({ err: err.cause ?? err, code: err.code }, 'infrastructure unavailable')
      return reply.code(503).header('Retry-After', '5').send(body(err.code, `${err.message}; retry later`))
    }
    if (isResponseSerializationError(err)) {
      req.log.error({ err }, 'response failed its schema')
      return reply.code(500).send(body('INTERNAL', 'internal error'))
    }
    const status = err.statusCode ?? 500
    if (status >= 400 && status < 500) {
      return reply.code(status).send(body(fastifyCode(err), err.message))
    }
    req.log.error({ err }, 'unhandled error')
    return reply.code(500).send(body('INTERNAL', 'internal error'))
  })
  app.setNotFoundHandler((req, reply) => reply.code(404).send(body('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)))
}

export function body(code: string, message: string, details: unknown[] = []) {
  return { error: { code, message, details } }
}

function fastifyCode(err: FastifyError): string {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'PAYLOAD_TOO_LARGE'
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'UNSUPPORTED_MEDIA_TYPE'
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'EMPTY_BODY'
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'INVALID_JSON'
    default:
      return err.statusCode === 400 && err.message.includes('JSON') ? 'INVALID_JSON' : 'BAD_REQUEST'
  }
}
