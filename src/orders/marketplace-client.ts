import { InfraError } from '../platform/errors.js'

/**
 * The Marketplace Ordering API, read side (swagger/v1/ordering_swagger.json). Bodies come back
 * as unvalidated JSON: the schemas in project-item.schema.ts decide per record, so one odd
 * payload is rejected on its own instead of failing the transport.
 */
export interface MarketplaceClient {
  /** Events strictly after `fromTimestamp` (ISO 8601), oldest first, at most `limit`. */
  listEvents(fromTimestamp: string, limit: number): Promise<unknown[]>
  /** null when the project is gone or not visible to this OMS (404). */
  getProject(projectId: number): Promise<unknown>
  /** null when the item is gone or not visible to this OMS (404). */
  getProjectItem(projectId: number, itemId: number): Promise<unknown>
}

export interface MarketplaceClientOptions {
  /** e.g. https://marketplace.eosc-portal.eu */
  baseUrl: string
  omsId: string
  /** Token of a user administering the OMS, sent as `X-User-Token`. */
  token?: string
  timeoutMs?: number
}

const DEFAULT_TIMEOUT_MS = 15_000

export function createMarketplaceClient(opts: MarketplaceClientOptions): MarketplaceClient {
  const root = `${opts.baseUrl.replace(/\/+$/, '')}/api/v1/oms/${encodeURIComponent(opts.omsId)}`
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const headers: Record<string, string> = { accept: 'application/json' }
  if (opts.token) headers['x-user-token'] = opts.token

  /** GET `path`; `what` names the endpoint in errors (never the body, which may hold personal data). */
  async function get(path: string, what: string, notFoundIsNull: boolean): Promise<unknown> {
    let res: Response
    let body: unknown
    try {
      res = await fetch(root + path, { headers, signal: AbortSignal.timeout(timeoutMs) })
      if (res.status === 404 && notFoundIsNull) {
        await res.body?.cancel()
        return null
      }
      if (!res.ok) {
        await res.body?.cancel()
        throw statusError(res.status, what)
      }
      body = await res.json().catch((err: unknown) => {
        if (isAbort(err)) throw err
        throw new InfraError('MARKETPLACE_BAD_RESPONSE', `Marketplace ${what}: body is not JSON`, { retriable: false, cause: err })
      })
    } catch (err) {
      if (err instanceof InfraError) throw err
      const reason = isAbort(err) ? `no answer within ${timeoutMs} ms` : 'unreachable'
      throw new InfraError('MARKETPLACE_UNAVAILABLE', `Marketplace ${what}: ${reason}`, { retriable: true, cause: err })
    }
    return body
  }

  return {
    async listEvents(fromTimestamp, limit) {
      const q = new URLSearchParams({ from_timestamp: fromTimestamp, limit: String(limit) })
      const body = await get(`/events?${q.toString()}`, 'events', false)
      const events = (body as { events?: unknown } | null)?.events
      if (!Array.isArray(events)) {
        throw new InfraError('MARKETPLACE_BAD_RESPONSE', 'Marketplace events: no `events` array', { retriable: false })
      }
      return events
    },
    getProject: (projectId) => get(`/projects/${projectId}`, 'project', true),
    getProjectItem: (projectId, itemId) => get(`/projects/${projectId}/project_items/${itemId}`, 'project item', true),
  }
}

/** 5xx, 408 and 429 pass; auth and request errors need a person, not a retry. */
function statusError(status: number, what: string): InfraError {
  const retriable = status >= 500 || status === 408 || status === 429
  const code = retriable ? 'MARKETPLACE_UNAVAILABLE' : status === 401 || status === 403 ? 'MARKETPLACE_UNAUTHORISED' : 'MARKETPLACE_REJECTED'
  return new InfraError(code, `Marketplace ${what}: HTTP ${status}`, { retriable })
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
}
