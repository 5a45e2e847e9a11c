import { open, readFile, type FileHandle } from 'node:fs/promises'
import { resolve } from 'node:path'
import { z } from 'zod'
import { wholeBlocks } from '../platform/clickhouse/native-block.js'
import type { Store } from '../platform/clickhouse/store.js'
import { USAGE_INGEST_COLUMNS } from './usage-ingest-native.js'

const TYPES = USAGE_INGEST_COLUMNS.map((c) => c.type)

/**
 * The data file of a `File(Native)` landing table, which the writer appends to. An append either
 * lands whole or not at all: a failed write is cut off again, so the blocks after it stay readable.
 */
export class LandingFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private size: number,
  ) {}

  static async open(store: Store, table: string): Promise<LandingFile> {
    const [row] = await store.query(
      'SELECT data_paths[1] AS path FROM system.tables WHERE database = currentDatabase() AND name = {table:String}',
      { table },
      z.object({ path: z.string().min(1) }),
    )
    if (!row) throw new Error(`landing table ${table} is missing: run the migrations`)
    const path = resolve(row.path)
    const handle = await open(path, 'a')
    return new LandingFile(path, handle, (await handle.stat()).size)
  }

  async append(block: Buffer): Promise<void> {
    try {
      for (let off = 0; off < block.length; ) off += (await this.handle.write(block, off)).bytesWritten
      this.size += block.length
    } catch (err) {
      await this.handle.truncate(this.size).catch(() => undefined)
      throw err
    }
  }

  /** At start: drops a block the last process was killed in the middle of appending (never acknowledged). */
  async cutHalfWrittenBlock(): Promise<void> {
    const data = await readFile(this.path)
    const whole = wholeBlocks(data, TYPES).bytes
    if (whole < data.length) await this.handle.truncate(whole)
    this.size = whole
  }

  async truncate(): Promise<void> {
    await this.handle.truncate(0)
    this.size = 0
  }

  close(): Promise<void> {
    return this.handle.close()
  }
}
