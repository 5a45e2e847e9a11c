import { EventEmitter } from 'node:events'
import cron, { type ScheduledTask } from 'node-cron'
import type { Logger } from 'pino'
import { checksFor, type CheckOptions } from './checks.js'

/** An endpoint of the topology with a URL to check. */
export interface ProbeTarget {
  hostname: string
  service: string
  url: string
}

/** A probe result in the public shape of `POST /v1/probe-results`. */
export interface ProbeRecord {
  timestamp: string
  hostname: string
  service: string
  metric: string
  status: string
  summary: string
  message: string
  actual_data: string
  monitoring_host: string
}

export interface ProberDeps {
  /** The endpoints with a URL in the topology in force today. */
  targets(): ProbeTarget[]
  /** Hands results to the probe collector and the bus, as `POST /v1/probe-results` does. */
  record(records: ProbeRecord[]): Promise<{ accepted: number; rejected: number }>
  /** Written into every result's `monitoring_host`, so a recomputation can exclude this prober. */
  monitoringHost: string
  checks: CheckOptions
  /** Checks running at once. */
  concurrency: number
  logger: Logger
  onCheck?(check: string, status: string): void
}

export interface ProbeRun {
  targets: number
  results: number
  accepted: number
  rejected: number
}

/**
 * The built-in prober: on its node-cron schedule it checks every endpoint that has a `url`
 * (HTTP status and latency, TLS certificate expiry, TCP connect) and records the outcomes as
 * probe results through the same collector and bus as pushed ones. Emits `run` after each run.
 */
export class Prober extends EventEmitter<{ run: [ProbeRun]; error: [unknown] }> {
  private task: ScheduledTask | undefined
  private running: Promise<ProbeRun> | undefined

  constructor(private readonly deps: ProberDeps) {
    super()
  }

  start(expression: string): void {
    if (!cron.validate(expression)) throw new Error(`not a cron expression: ${expression}`)
    this.task ??= cron.schedule(expression, () => this.runOnce().then(() => undefined, () => undefined), {
      timezone: 'UTC',
      name: 'eosc-am-prober',
      noOverlap: true,
    })
  }

  async stop(): Promise<void> {
    await this.task?.destroy()
    this.task = undefined
    await this.running?.catch(() => undefined)
  }

  /** One pass over every target (a run already under way is joined, not doubled). */
  runOnce(): Promise<ProbeRun> {
    this.running ??= this.run().finally(() => {
      this.running = undefined
    })
    return this.running
  }

  private async run(): Promise<ProbeRun> {
    const targets = this.deps.targets()
    const jobs: (() => Promise<ProbeRecord>)[] = []
    const seen = new Set<string>()
    for (const t of targets) {
      let url: URL
      try {
        url = new URL(t.url)
      } catch {
        continue
      }
      for (const check of checksFor(url)) {
        const key = `${t.hostname}\u0000${t.service}\u0000${check.name}`
        if (seen.has(key)) continue
        seen.add(key)
        jobs.push(async () => {
          const r = await check(url, this.deps.checks)
          this.deps.onCheck?.(r.metric, r.status)
          return {
            timestamp: new Date(Math.floor(r.at / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
            hostname: t.hostname,
            service: t.service,
            metric: r.metric,
            status: r.status,
            summary: r.summary,
            message: r.message,
            actual_data: r.actual_data,
            monitoring_host: this.deps.monitoringHost,
          }
        })
      }
    }
    try {
      const records = await limit(jobs, this.deps.concurrency)
      const outcome = records.length ? await this.deps.record(records) : { accepted: 0, rejected: 0 }
      const run = { targets: targets.length, results: records.length, ...outcome }
      if (outcome.rejected > 0) this.deps.logger.warn(run, 'prober results rejected')
      this.emit('run', run)
      return run
    } catch (err) {
      this.deps.logger.error({ err }, 'prober run failed')
      if (this.listenerCount('error') > 0) this.emit('error', err)
      throw err
    }
  }
}

/** Runs the jobs with at most `n` at once, results in job order. */
async function limit<T>(jobs: readonly (() => Promise<T>)[], n: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(n, jobs.length) }, async () => {
      for (let i = next++; i < jobs.length; i = next++) out[i] = await jobs[i]!()
    }),
  )
  return out
}
