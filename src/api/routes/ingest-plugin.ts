import type { FastifyInstance } from 'fastify'
import { MAX_BODY_BYTES } from '../../collectors/ingest-body.js'

export const INGEST_CONTENT_TYPES = ['application/json', 'application/x-ndjson', 'application/jsonl', 'application/ndjson']

/**
 * Ingest routes take the body raw (up to 10 MiB) and parse it themselves: one object, an array or
 * NDJSON, with broken lines reported per record instead of failing the whole request.
 */
export function acceptRawIngestBodies(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json'])
  app.addContentTypeParser(INGEST_CONTENT_TYPES, { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, (_req, body, done) => done(null, body))
}

