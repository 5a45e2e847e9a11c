import type { Rejection } from './collect.js'
import type { UsagePart } from '../pipeline/usage-part.js'

/** What the intake sends a worker for one request body. */
export interface IntakeRequest {
  id: number
  body: Uint8Array
  contentType: string | undefined
  /** Providers the caller may write, `'*'` for all. */
  scope: '*' | string[]
  version: number
  /** Metric id → whether it is a level metric; sent when the catalog changed since the worker's last request. */
  metrics?: [string, boolean][]
  /** Alias → canonical PID; sent when the aliases changed since the worker's last request. */
  aliases?: [string, string][]
}

export type IntakeReply =
  | { id: number; ok: true; part: UsagePart; rejected: Rejection[]; unknownMetrics: string[] }
  | { id: number; ok: false; error: { status?: number; code?: string; message: string } }

/** What a worker sends once it has loaded. */
export interface IntakeReady {
  ready: true
}
