import { AppError } from '../platform/errors.js'

export const MAX_RECORDS_PER_REQUEST = 10_000
export const MAX_BODY_BYTES = 10 * 1024 * 1024

export interface ParsedBody {
  /** Items in body order; a line that is not JSON is kept as a parse error at its index. */
  items: ({ ok: true; value: unknown } | { ok: false; error: string })[]
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * One JSON object, a JSON array, or NDJSON (one JSON value per line). A body that is none of these
 * is a 400; single broken NDJSON lines become per-record errors so the valid lines are kept.
 */
export function parseIngestBody(raw: Buffer, contentType: string | undefined): ParsedBody {
  let text: string
  try {
    text = utf8.decode(raw)
  } catch {
    throw new AppError(400, 'INVALID_ENCODING', 'request body is not valid UTF-8')
  }
  if (text.trim() === '') throw new AppError(400, 'EMPTY_BODY', 'request body is empty')
  const ndjson = /ndjson|jsonl|json-seq/i.test(contentType ?? '')
  if (!ndjson) {
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (err) {
      // A multi-line body sent as application/json may still be NDJSON; try that before refusing.
      if (text.trim().includes('\n')) return parseLines(text)
      throw new AppError(400, 'INVALID_JSON', `request body is not JSON: ${(err as Error).message}`)
    }
    if (Array.isArray(value)) return limit({ items: value.map((v) => ({ ok: true as const, value: v })) })
    if (value !== null && typeof value === 'object') return { items: [{ ok: true, value }] }
    throw new AppError(400, 'INVALID_BODY', 'request body must be a JSON object, an array of objects, or NDJSON')
  }
  return parseLines(text)
}

function parseLines(text: string): ParsedBody {
  const items: ParsedBody['items'] = []
  let parsed = 0
  for (const line of text.split('\n')) {
    const l = line.trim()
    if (l === '') continue
    try {
      items.push({ ok: true, value: JSON.parse(l) })
      parsed++
    } catch (err) {
      items.push({ ok: false, error: `line is not JSON: ${(err as Error).message}` })
    }
    if (items.length > MAX_RECORDS_PER_REQUEST) break
  }
  if (parsed === 0) throw new AppError(400, 'INVALID_JSON', 'request body is neither JSON nor NDJSON: no line parses')
  return limit({ items })
}

function limit(body: ParsedBody): ParsedBody {
  if (body.items.length > MAX_RECORDS_PER_REQUEST) {
    throw new AppError(413, 'TOO_MANY_RECORDS', `at most ${MAX_RECORDS_PER_REQUEST} records per request`)
  }
  return body
}
