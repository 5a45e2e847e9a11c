import http from 'node:http'
import https from 'node:https'
import { connect as netConnect, isIP, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import type { ProbeStatus } from '../../aggregators/availability/status.js'

/** Metric names as ARGO's generic probes call them, so existing metric profiles can name them. */
export const METRIC_HTTP = 'generic.http.connect'
export const METRIC_TLS = 'generic.certificate.validity'
export const METRIC_TCP = 'generic.tcp.connect'

export interface CheckOptions {
  timeoutMs: number
  /** Extra trusted CAs (PEM), e.g. a federation's private CA. */
  ca?: string | Buffer
  /** Slower than this is WARNING even when the answer is good. */
  latencyWarnMs: number
  /** Certificate expiry thresholds in days. */
  certWarnDays: number
  certCriticalDays: number
}

export const DEFAULT_CHECK_OPTIONS: CheckOptions = { timeoutMs: 10_000, latencyWarnMs: 5_000, certWarnDays: 30, certCriticalDays: 7 }

export interface CheckResult {
  metric: string
  status: ProbeStatus
  /** One line for people. */
  summary: string
  message: string
  /** Nagios-style performance data, `name=value[unit]`. */
  actual_data: string
  /** When the check finished (epoch ms). */
  at: number
}

const describe = (err: unknown) => (err instanceof Error ? ((err as NodeJS.ErrnoException).code ? `${(err as NodeJS.ErrnoException).code}: ${err.message}` : err.message) : String(err))

/**
 * GET the URL: 2xx/3xx OK (WARNING when slower than `latencyWarnMs`), 4xx WARNING, 5xx and
 * connection, TLS or timeout failures CRITICAL — Nagios check_http's defaults.
 */
export function httpCheck(url: URL, o: CheckOptions): Promise<CheckResult> {
  const started = performance.now()
  return new Promise((resolve) => {
    let done = false
    const finish = (status: ProbeStatus, summary: string, message: string, perf: string) => {
      if (done) return
      done = true
      resolve({ metric: METRIC_HTTP, status, summary, message, actual_data: perf, at: Date.now() })
    }
    const lib = url.protocol === 'https:' ? https : http
    const req = lib.request(
      url,
      {
        method: 'GET',
        headers: { 'user-agent': 'eosc-am-prober/1', accept: '*/*' },
        timeout: o.timeoutMs,
        ...(url.protocol === 'https:' ? { ca: o.ca, rejectUnauthorized: true, servername: isIP(url.hostname) ? undefined : url.hostname } : {}),
        agent: false,
      },
      (res) => {
        const ms = performance.now() - started
        res.resume()
        const code = res.statusCode ?? 0
        const perf = `time=${(ms / 1000).toFixed(3)}s;${(o.latencyWarnMs / 1000).toFixed(3)};;0 status=${code}`
        const line = `HTTP ${code}${res.statusMessage ? ` ${res.statusMessage}` : ''} in ${Math.round(ms)} ms`
        if (code >= 500 || code === 0) finish('CRITICAL', line, `GET ${url.href} answered ${code}`, perf)
        else if (code >= 400) finish('WARNING', line, `GET ${url.href} answered ${code}`, perf)
        else if (ms > o.latencyWarnMs) finish('WARNING', `${line} (slower than ${o.latencyWarnMs} ms)`, `GET ${url.href}`, perf)
        else finish('OK', line, `GET ${url.href}`, perf)
        req.destroy()
      },
    )
    req.on('timeout', () => {
      finish('CRITICAL', `no answer within ${o.timeoutMs} ms`, `GET ${url.href} timed out`, '')
      req.destroy()
    })
    req.on('error', (err) => finish('CRITICAL', `connection failed: ${describe(err)}`, `GET ${url.href}: ${describe(err)}`, ''))
    req.end()
  })
}

/**
 * The server certificate's remaining validity: CRITICAL when untrusted, expired or closer than
 * `certCriticalDays`, WARNING closer than `certWarnDays`, else OK.
 */
export function tlsCheck(url: URL, o: CheckOptions): Promise<CheckResult> {
  const port = Number(url.port || 443)
  return socketCheck(METRIC_TLS, (finish) => {
    const socket = tlsConnect({
      host: url.hostname,
      port,
      servername: isIP(url.hostname) ? undefined : url.hostname,
      ca: o.ca,
      // The chain is judged below, so an untrusted certificate still reports its expiry.
      rejectUnauthorized: false,
      timeout: o.timeoutMs,
    })
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate()
      if (!cert || !cert.valid_to) return finish('CRITICAL', 'the server sent no certificate', `${url.host}: no peer certificate`)
      const expires = Date.parse(cert.valid_to)
      const days = Math.floor((expires - Date.now()) / 86_400_000)
      const until = new Date(expires).toISOString()
      const perf = `days=${days};${o.certWarnDays};${o.certCriticalDays}`
      const subject = typeof cert.subject?.CN === 'string' ? cert.subject.CN : ''
      const detail = `${url.host}: certificate${subject ? ` CN=${subject}` : ''} valid until ${until}`
      if (!socket.authorized) return finish('CRITICAL', `certificate not trusted: ${String(socket.authorizationError)}`, detail, perf)
      if (days < 0) return finish('CRITICAL', `certificate expired ${-days} days ago`, detail, perf)
      if (days < o.certCriticalDays) return finish('CRITICAL', `certificate expires in ${days} days`, detail, perf)
      if (days < o.certWarnDays) return finish('WARNING', `certificate expires in ${days} days`, detail, perf)
      finish('OK', `certificate valid for ${days} more days`, detail, perf)
    })
    socket.once('timeout', () => finish('CRITICAL', `no TLS handshake within ${o.timeoutMs} ms`, `${url.host}: timed out`))
    socket.once('error', (err) => finish('CRITICAL', `TLS connection failed: ${describe(err)}`, `${url.host}: ${describe(err)}`))
    return socket
  })
}

/** Opens a TCP connection to `tcp://host:port`: OK when it connects in time, else CRITICAL. */
export function tcpCheck(url: URL, o: CheckOptions): Promise<CheckResult> {
  const started = performance.now()
  return socketCheck(METRIC_TCP, (finish) => {
    const socket = netConnect({ host: url.hostname, port: Number(url.port), timeout: o.timeoutMs })
    socket.once('connect', () => {
      const ms = performance.now() - started
      finish('OK', `TCP connect in ${Math.round(ms)} ms`, `${url.host} accepts connections`, `time=${(ms / 1000).toFixed(3)}s`)
    })
    socket.once('timeout', () => finish('CRITICAL', `no connection within ${o.timeoutMs} ms`, `${url.host}: timed out`))
    socket.once('error', (err) => finish('CRITICAL', `connection failed: ${describe(err)}`, `${url.host}: ${describe(err)}`))
    return socket
  })
}

type Finish = (status: ProbeStatus, summary: string, message: string, perf?: string) => void

/** Runs a check on the socket `open` returns: the first `finish` settles it and destroys the socket. */
function socketCheck(metric: string, open: (finish: Finish) => Socket): Promise<CheckResult> {
  return new Promise((resolve) => {
    let done = false
    const finish: Finish = (status, summary, message, perf = '') => {
      if (done) return
      done = true
      socket.destroy()
      resolve({ metric, status, summary, message, actual_data: perf, at: Date.now() })
    }
    const socket = open(finish)
  })
}

/** The checks an endpoint URL gets: HTTP (and its certificate for https), or TCP. */
export function checksFor(url: URL): ((url: URL, o: CheckOptions) => Promise<CheckResult>)[] {
  if (url.protocol === 'https:') return [httpCheck, tlsCheck]
  if (url.protocol === 'http:') return [httpCheck]
  if (url.protocol === 'tcp:') return [tcpCheck]
  return []
}
