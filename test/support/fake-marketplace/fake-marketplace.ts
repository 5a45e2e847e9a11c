import { setTimeout as delay } from 'node:timers/promises'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'

/**
 * A loopback stand-in for the Marketplace Ordering API (swagger/v1/ordering_swagger.json):
 * events, project and project item reads, with the real API's quirks — `X-User-Token` auth,
 * events strictly after `from_timestamp` compared at microsecond precision but serialised to the
 * whole second, default `limit` 20, no ids on events, `user_secrets` obfuscated, no timestamps on
 * objects. Test controls add and change items (emitting events at chosen times), inject
 * failures or slowness, and count requests.
 */

export type FakeStatusType =
  | 'created'
  | 'registered'
  | 'in_progress'
  | 'waiting_for_response'
  | 'approved'
  | 'ready'
  | 'rejected'
  | 'closed'

export type RouteKind = 'events' | 'project' | 'project_item'

export interface FakeProjectInput {
  id?: number
  owner?: { uid: string; email: string; name: string; first_name: string; last_name: string }
  /** Merged over realistic defaults (project name, organisation, webpage, typology …). */
  attributes?: Record<string, unknown>
  /** Time of the `create` event; default now. */
  at?: string
}

export interface FakeItemInput {
  /** The per-project `iid`; default the next one in the project. */
  id?: number
  status?: FakeStatusType
  statusValue?: string
  /** Merged over defaults (category, service, offer, order_type …). */
  attributes?: Record<string, unknown>
  oms_params?: Record<string, unknown>
  user_secrets?: Record<string, string>
  at?: string
}

export interface FakeMarketplace {
  readonly url: string
  readonly omsId: string
  readonly token: string
  addProject(input?: FakeProjectInput): number
  addItem(projectId: number, input?: FakeItemInput): number
  /** Changes `status.type` (and `status.value`), emitting the `update` event the Marketplace would. */
  setStatus(projectId: number, itemId: number, type: FakeStatusType, opts?: { at?: string; value?: string }): void
  /** Appends any event as given (message events, events naming vanished items …). */
  emitEvent(event: { at: string } & Record<string, unknown>): void
  /** The next `count` requests (optionally of one route) answer `status` (default 503). */
  failNext(count: number, opts?: { status?: number; route?: RouteKind }): void
  /** Drops the failures still queued by `failNext`: the outage is over. */
  clearFailures(): void
  /** The next `count` requests wait `ms` before being handled. */
  delayNext(count: number, ms: number): void
  requestCount(route?: RouteKind): number
  close(): Promise<void>
}

interface StoredEvent {
  /** Microseconds since the epoch: the Marketplace's `created_at` precision. */
  createdAtUs: number
  body: Record<string, unknown>
}

interface StoredItem {
  id: number
  projectId: number
  status: FakeStatusType
  statusValue: string
  attributes: Record<string, unknown>
  omsParams?: Record<string, unknown>
  userSecrets: Record<string, string>
}

interface StoredProject {
  id: number
  owner: NonNullable<FakeProjectInput['owner']>
  attributes: Record<string, unknown>
  items: Map<number, StoredItem>
}

export async function startFakeMarketplace(opts: { omsId?: string; token?: string } = {}): Promise<FakeMarketplace> {
  const omsId = opts.omsId ?? '7'
  const token = opts.token ?? 'fake-oms-token'
  const projects = new Map<number, StoredProject>()
  const events: StoredEvent[] = []
  const counts = new Map<RouteKind, number>()
  const failures: { status: number; route?: RouteKind }[] = []
  const delays: number[] = []
  const usedMicros = new Set<number>()

  /** A unique microsecond inside the given instant's millisecond, like a real `created_at`. */
  function createdAt(at: string | undefined): number {
    const ms = at === undefined ? Date.now() : Date.parse(at)
    if (Number.isNaN(ms)) throw new Error(`fake marketplace: bad time ${at}`)
    let us = ms * 1000 + 1
    while (usedMicros.has(us)) us++
    usedMicros.add(us)
    return us
  }

  function emit(at: string | undefined, body: Record<string, unknown>): void {
    events.push({ createdAtUs: createdAt(at), body })
    events.sort((a, b) => a.createdAtUs - b.createdAtUs)
  }

  function itemOf(projectId: number, itemId: number): StoredItem {
    const item = projects.get(projectId)?.items.get(itemId)
    if (!item) throw new Error(`fake marketplace: no item ${projectId}/${itemId}`)
    return item
  }

  const app = Fastify({ logger: false })

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const route = routeKind(req.routeOptions.url)
    if (route) counts.set(route, (counts.get(route) ?? 0) + 1)
    const wait = delays.shift()
    if (wait !== undefined) await delay(wait)
    const failure = failures.findIndex((f) => f.route === undefined || f.route === route)
    if (failure >= 0) {
      const [f] = failures.splice(failure, 1)
      return reply.code(f?.status ?? 503).send({ error: 'Service Unavailable' })
    }
    if (req.headers['x-user-token'] !== token) return reply.code(401).send({ error: 'You need to sign in or sign up before continuing.' })
    if ((req.params as { omsId?: string }).omsId !== omsId) return reply.code(404).send({ error: 'OMS not found' })
  })

  app.get('/api/v1/oms/:omsId/events', async (req, reply) => {
    const q = req.query as { from_timestamp?: string; limit?: string }
    const fromUs = q.from_timestamp === undefined ? null : parseMicros(q.from_timestamp)
    if (fromUs === null) return reply.code(400).send({ error: 'param is missing or the value is empty: from_timestamp' })
    const limit = q.limit === undefined ? 20 : Number.parseInt(q.limit, 10)
    if (!(limit > 0)) return reply.code(400).send({ error: "'limit' must be a positive integer" })
    const page = events.filter((e) => e.createdAtUs > fromUs).slice(0, limit)
    return { events: page.map((e) => ({ timestamp: wholeSecond(e.createdAtUs), ...e.body })) }
  })

  app.get('/api/v1/oms/:omsId/projects/:projectId', async (req, reply) => {
    const p = projects.get(Number((req.params as { projectId: string }).projectId))
    if (!p) return reply.code(404).send({ error: 'Project not found' })
    return { id: p.id, owner: p.owner, project_items: [...p.items.keys()], attributes: p.attributes }
  })

  app.get('/api/v1/oms/:omsId/projects/:projectId/project_items/:itemId', async (req, reply) => {
    const params = req.params as { projectId: string; itemId: string }
    const p = projects.get(Number(params.projectId))
    if (!p) return reply.code(404).send({ error: 'Project not found' })
    const item = p.items.get(Number(params.itemId))
    if (!item) return reply.code(404).send({ error: 'Project item not found' })
    return {
      id: item.id,
      project_id: item.projectId,
      status: { value: item.statusValue, type: item.status },
      attributes: item.attributes,
      ...(item.omsParams ? { oms_params: item.omsParams } : {}),
      user_secrets: Object.fromEntries(Object.keys(item.userSecrets).map((k) => [k, '<OBFUSCATED>'])),
    }
  })

  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('fake marketplace: no TCP address')

  return {
    url: `http://127.0.0.1:${address.port}`,
    omsId,
    token,
    addProject(input = {}) {
      const id = input.id ?? Math.max(0, ...projects.keys()) + 1
      projects.set(id, {
        id,
        owner: input.owner ?? { uid: `owner-${id}@aai.example.org`, email: `owner${id}@example.org`, name: `Owner ${id}`, first_name: 'Owner', last_name: `${id}` },
        attributes: {
          name: `Project ${id}`,
          customer_typology: 'research',
          organization: 'Example University',
          department: 'Physics',
          department_webpage: 'https://physics.example.org',
          scientific_domains: ['Natural Sciences'],
          country: 'Poland',
          collaboration_countries: [],
          user_group_name: 'Example group',
          ...input.attributes,
        },
        items: new Map(),
      })
      emit(input.at, { type: 'create', resource: 'project', project_id: id })
      return id
    },
    addItem(projectId, input = {}) {
      const project = projects.get(projectId)
      if (!project) throw new Error(`fake marketplace: no project ${projectId}`)
      const id = input.id ?? Math.max(0, ...project.items.keys()) + 1
      const status = input.status ?? 'created'
      project.items.set(id, {
        id,
        projectId,
        status,
        statusValue: input.statusValue ?? status,
        attributes: {
          category: 'Compute',
          service: 'Example Cloud',
          offer: 'Standard',
          offer_properties: [],
          platforms: [],
          request_voucher: false,
          order_type: 'order_required',
          ...input.attributes,
        },
        ...(input.oms_params ? { omsParams: input.oms_params } : {}),
        userSecrets: input.user_secrets ?? {},
      })
      emit(input.at, { type: 'create', resource: 'project_item', project_id: projectId, project_item_id: id })
      return id
    },
    setStatus(projectId, itemId, type, o = {}) {
      const item = itemOf(projectId, itemId)
      const value = o.value ?? type
      const changes = [
        ...(value !== item.statusValue ? [{ field: 'status.value', before: item.statusValue, after: value }] : []),
        ...(type !== item.status ? [{ field: 'status.type', before: item.status, after: type }] : []),
      ]
      item.status = type
      item.statusValue = value
      emit(o.at, { type: 'update', resource: 'project_item', project_id: projectId, project_item_id: itemId, changes })
    },
    emitEvent({ at, ...body }) {
      emit(at, body)
    },
    failNext(count, o = {}) {
      for (let i = 0; i < count; i++) failures.push({ status: o.status ?? 503, ...(o.route ? { route: o.route } : {}) })
    },
    clearFailures() {
      failures.length = 0
    },
    delayNext(count, ms) {
      for (let i = 0; i < count; i++) delays.push(ms)
    },
    requestCount(route) {
      if (route) return counts.get(route) ?? 0
      return [...counts.values()].reduce((a, b) => a + b, 0)
    },
    close: () => app.close(),
  }
}

function routeKind(url: string | undefined): RouteKind | undefined {
  if (url === undefined) return undefined
  if (url.endsWith('/events')) return 'events'
  if (url.endsWith('/project_items/:itemId')) return 'project_item'
  if (url.endsWith('/projects/:projectId')) return 'project'
  return undefined
}

/** ISO 8601 with up to microseconds, as the Marketplace's filter accepts. */
function parseMicros(text: string): number | null {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})$/.exec(text)
  if (!m) return null
  const ms = Date.parse(`${m[1]}${m[3]}`)
  if (Number.isNaN(ms)) return null
  return ms * 1000 + Number((m[2] ?? '').padEnd(6, '0'))
}

/** Rails' `created_at.iso8601`: the second, without fraction. */
function wholeSecond(us: number): string {
  return new Date(Math.floor(us / 1_000_000) * 1000).toISOString().replace('.000Z', 'Z')
}
