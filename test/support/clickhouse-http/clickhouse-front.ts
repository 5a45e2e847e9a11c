import { randomUUID } from 'node:crypto'
import { mkdirSync, rmSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { gunzipSync, gzipSync } from 'node:zlib'
import { createChdbConnection } from 'chdb/connection'

/**
 * A ClickHouse server for tests, on loopback: ClickHouse's HTTP interface in front of the embedded
 * engine (chDB, the same ClickHouse), so that the engine's server mode (`EOSC_AM_CLICKHOUSE_URL`,
 * the @clickhouse/client HTTP connection) runs against real ClickHouse on machines where no
 * ClickHouse server can be installed (Debian ships only 18.16, from 2018). Several processes can
 * share it, as they share a server.
 *
 * It serves what clickhouse-js sends: `GET /ping`; `POST /?query=…` with data as the body (inserts,
 * `exec` with values) or with the statement as the body (queries, commands); settings, `query_id`,
 * `database` and `param_*` as URL parameters; gzip bodies both ways; basic authentication when
 * `user` is given. Errors answer 500 with ClickHouse's own `Code: N. DB::Exception: …` text and
 * the `X-ClickHouse-Exception-Code` header, which the client turns into a ClickHouseError.
 *
 * What it translates, since the embedded engine has no HTTP layer:
 *  - `{name:Type}` parameters are bound as `_CAST('<text>', 'Type')` of their URL text (unescaped
 *    first for String types, which clickhouse-js sends escaped), as the server's binder parses them;
 *  - `input('structure')` reads the request body from a staging file
 *    (`file(path, format, 'structure')`), as a server reads it from the request;
 *  - statements run one at a time (as the embedded engine runs them).
 */
export interface ClickHouseFront {
  readonly url: string
  /** Requests served, by kind (and those whose parameters came as form parts), for assertions. */
  readonly served: { queries: number; inserts: number; forms: number }
  /** Drops every connection and refuses new ones (a server that went away) until `up`. */
  down(): Promise<void>
  up(): Promise<void>
  stop(): Promise<void>
}

export interface ClickHouseFrontOptions {
  /** The engine's data folder. */
  path: string
  user?: string
  password?: string
}

/** URL parameters that are not settings. */
const NOT_SETTINGS = new Set(['query', 'query_id', 'database', 'session_id', 'session_timeout', 'session_check', 'role', 'user', 'password'])

export async function startClickHouseFront(opts: ClickHouseFrontOptions): Promise<ClickHouseFront> {
  mkdirSync(opts.path, { recursive: true })
  const staging = `${opts.path}.front-staging`
  rmSync(staging, { recursive: true, force: true })
  mkdirSync(staging, { recursive: true })
  const connection = createChdbConnection({ path: opts.path })
  const served = { queries: 0, inserts: 0, forms: 0 }
  let chain: Promise<unknown> = Promise.resolve()
  const oneAtATime = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn)
    chain = run.catch(() => undefined)
    return run
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://front')
    if (url.pathname === '/ping') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('Ok.\n')
    if (!authorised(req, url, opts)) return fail(res, 516, 'Code: 516. DB::Exception: default: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)')
    let body: Buffer = Buffer.concat(await req.toArray())
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body)
    const settings: Record<string, string> = {}
    const params = new Map<string, string>()
    for (const [k, v] of url.searchParams) {
      if (k.startsWith('param_')) params.set(k.slice(6), v)
      else if (!NOT_SETTINGS.has(k)) settings[k] = v
    }
    // Parameters too long for a URL come as multipart/form-data parts, with the statement.
    const form = formParts(req.headers['content-type'], body)
    for (const [k, v] of form ?? []) if (k.startsWith('param_')) params.set(k.slice(6), v)
    const inUrl = url.searchParams.get('query')
    let sql = bindParams(form?.get('query') ?? inUrl ?? body.toString('utf8'), params)
    // A server binds parameters outside the statement: bound here, they must not count against its size limit.
    if (params.size) settings.max_query_size = String(Math.max(Number(settings.max_query_size ?? 0), 262_144 + sql.length))
    let data = inUrl === null || form ? undefined : body
    const staged: string[] = []
    const inputCall = /\binput\(\s*('(?:[^'\\]|\\.)*')\s*\)([\s\S]*?)\bFORMAT\s+(\w+)\s*$/i.exec(sql)
    if (inputCall && data) {
      const file = join(staging, `${randomUUID()}.data`)
      await writeFile(file, data)
      staged.push(file)
      sql = sql.slice(0, inputCall.index) + `file('${file}', '${inputCall[3]}', ${inputCall[1]})${inputCall[2]}`
      data = undefined
    }
    const database = url.searchParams.get('database')
    if (database && database !== 'default') sql = `USE \`${database.replaceAll('`', '')}\`; ${sql}`
    const compress = settings.enable_http_compression === '1' && /gzip/.test(String(req.headers['accept-encoding'] ?? ''))
    try {
      const result = await oneAtATime(async () => {
        const r = await connection.exec({ query: sql, values: data && data.length ? data.toString('utf8') : undefined, clickhouse_settings: settings, query_id: url.searchParams.get('query_id') ?? randomUUID() } as never)
        return Buffer.concat((await (r as { stream: Readable }).stream.toArray()) as Buffer[])
      })
      if (inUrl !== null) served.inserts++
      else served.queries++
      if (form) served.forms++
      const headers: Record<string, string> = { 'x-clickhouse-query-id': url.searchParams.get('query_id') ?? '', 'x-clickhouse-summary': '{}' }
      if (compress) headers['content-encoding'] = 'gzip'
      res.writeHead(200, headers).end(compress ? gzipSync(result) : result)
    } catch (err) {
      fail(res, ...serverError(err))
    } finally {
      for (const f of staged) rmSync(f, { force: true })
    }
  }

  // ClickHouse's default http_max_uri_size is 1 MiB (Node's own limit on the request head is 16 KiB).
  const server = createServer({ maxHeaderSize: 1024 * 1024 }, (req, res) => {
    handle(req, res).catch((err: unknown) => fail(res, 1000, `Code: 1000. DB::Exception: ${String(err)}. (POCO_EXCEPTION)`))
  })
  const listen = (on: number) => new Promise<void>((resolve) => server.listen(on, '127.0.0.1', resolve))
  const close = () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeAllConnections()
    return closed
  }
  await listen(0)
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    down: close,
    up: () => listen(port),
    async stop() {
      if (server.listening) await close()
      await chain
      await connection.close()
      rmSync(staging, { recursive: true, force: true })
    },
  }
}

function fail(res: ServerResponse, code: number, message: string): void {
  if (res.headersSent) return void res.destroy()
  res.writeHead(code === 516 ? 401 : 500, { 'x-clickhouse-exception-code': String(code), 'content-type': 'text/plain' }).end(message)
}

/** An engine error as a server words it: `Code: N. DB::Exception: message. (TYPE)`, which the client parses. */
function serverError(err: unknown): [number, string] {
  const e = err as { message?: string; code?: unknown; type?: unknown; cause?: { clickhouseCode?: unknown } }
  const message = String(e?.message ?? err)
  const code = Number(/^\d+$/.test(String(e?.code)) ? e.code : (e?.cause?.clickhouseCode ?? /Code: (\d+)/.exec(message)?.[1] ?? 1002))
  if (/^Code: \d+\. .*\([A-Z0-9_]+\)/s.test(message)) return [code, message]
  const type = typeof e?.type === 'string' ? e.type : /max query size|syntax error/i.test(message) ? 'SYNTAX_ERROR' : 'UNKNOWN_EXCEPTION'
  return [code, `Code: ${code}. DB::Exception: ${message}. (${type})`]
}

function authorised(req: IncomingMessage, url: URL, opts: ClickHouseFrontOptions): boolean {
  if (opts.user === undefined) return true
  const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')
  const [user, password] = basic
    ? (([u, ...p]) => [u, p.join(':')])(Buffer.from(basic[1]!, 'base64').toString('utf8').split(':'))
    : [req.headers['x-clickhouse-user'] ?? url.searchParams.get('user'), req.headers['x-clickhouse-key'] ?? url.searchParams.get('password') ?? '']
  return user === opts.user && password === (opts.password ?? '')
}

/** The parts of a multipart/form-data body by name, or undefined for any other body. */
function formParts(contentType: string | undefined, body: Buffer): Map<string, string> | undefined {
  const boundary = /^multipart\/form-data;\s*boundary=("?)([^";]+)\1/i.exec(contentType ?? '')?.[2]
  if (!boundary) return undefined
  const parts = new Map<string, string>()
  for (const part of body.toString('utf8').split(`--${boundary}`).slice(1)) {
    const headEnd = part.indexOf('\r\n\r\n')
    const name = /name="([^"]+)"/.exec(part.slice(0, headEnd))?.[1]
    if (headEnd < 0 || !name) continue
    parts.set(name, part.slice(headEnd + 4).replace(/\r\n$/, ''))
  }
  return parts
}

/** Replaces `{name:Type}` placeholders by casts of their URL text (see the module comment). */
function bindParams(sql: string, params: ReadonlyMap<string, string>): string {
  return sql.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^{}]+?)\s*\}/g, (whole, name: string, type: string) => {
    const text = params.get(name)
    if (text === undefined) return whole
    if (text === '\\N') return `_CAST(NULL, '${type}')`
    const scalarString = /^(Nullable\(|LowCardinality\()*(String|FixedString\(\d+\))\)*$/.test(type)
    const value = scalarString ? unescapeText(text) : text
    return `_CAST('${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}', '${type}')`
  })
}

/** ClickHouse's escaped text form of a value (what clickhouse-js sends for top-level strings), undone. */
function unescapeText(text: string): string {
  return text.replace(/\\(.)/gs, (_, c: string) => ({ t: '\t', n: '\n', r: '\r', b: '\b', f: '\f', '0': '\0' })[c] ?? c)
}
