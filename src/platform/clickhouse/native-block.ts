/**
 * ClickHouse's Native format, written from JavaScript: a block is the column count and row count
 * (VarUInt), then per column its name, its type and its values, column after column. Appended
 * blocks form a valid Native stream, which a `File(Native)` table reads without parsing text.
 * Only the types embedded landing needs: String, Float64, Int64, UInt64, Int8, UInt8.
 */
export type NativeType = 'String' | 'Float64' | 'Int64' | 'UInt64' | 'Int8' | 'UInt8'

const FIXED_WIDTH: Record<Exclude<NativeType, 'String'>, number> = { Float64: 8, Int64: 8, UInt64: 8, Int8: 1, UInt8: 1 }
const TWO_32 = 4_294_967_296

/** `name Type, name Type, ...` (a table structure) as its columns. */
export function nativeColumns(structure: string): { name: string; type: NativeType }[] {
  return structure.split(',').map((c) => {
    const [name, type] = c.trim().split(/\s+/)
    if (!name || !(type === 'String' || (type !== undefined && type in FIXED_WIDTH))) throw new Error(`no Native writer for column '${c.trim()}'`)
    return { name, type: type as NativeType }
  })
}

/** Builds one Native block in a buffer that grows as needed. */
export class NativeBlockWriter {
  private buf: Buffer
  private off = 0

  constructor(columns: number, rows: number, sizeHint = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(1024, rows * sizeHint))
    this.varUInt(columns)
    this.varUInt(rows)
  }

  /** A column's header: its name and type; its values follow. */
  column(name: string, type: NativeType): void {
    this.string(name)
    this.string(type)
  }

  string(s: string): void {
    const len = s.length
    this.ensure(len * 3 + 10)
    const buf = this.buf
    if (len < 128) {
      // ASCII, nearly always: byte by byte is cheaper than a native call for short strings.
      let o = this.off + 1
      let i = 0
      for (; i < len; i++) {
        const c = s.charCodeAt(i)
        if (c >= 0x80) break
        buf[o++] = c
      }
      if (i === len) {
        buf[this.off] = len
        this.off = o
        return
      }
    }
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const n = Buffer.byteLength(s, 'utf8')
    this.varUInt(n)
    this.off += buf.write(s, this.off, 'utf8')
  }

  float64(v: number): void {
    this.ensure(8)
    this.off = this.buf.writeDoubleLE(v, this.off)
  }

  /** A safe integer (|v| < 2^53) as Int64 or UInt64, little-endian: two 32-bit halves, no BigInt. */
  int64(v: number): void {
    this.ensure(8)
    const buf = this.buf
    const o = this.off
    const hi = Math.floor(v / TWO_32)
    const lo = v - hi * TWO_32
    buf[o] = lo
    buf[o + 1] = lo >>> 8
    buf[o + 2] = lo >>> 16
    buf[o + 3] = lo >>> 24
    buf[o + 4] = hi
    buf[o + 5] = hi >> 8
    buf[o + 6] = hi >> 16
    buf[o + 7] = hi >> 24
    this.off = o + 8
  }

  int8(v: number): void {
    this.ensure(1)
    this.buf[this.off++] = v & 0xff
  }

  uint8(v: number): void {
    this.ensure(1)
    this.buf[this.off++] = v
  }

  /** The block's bytes (a view of the writer's buffer). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.off)
  }

  private varUInt(n: number): void {
    this.ensure(10)
    while (n >= 0x80) {
      this.buf[this.off++] = (n & 0x7f) | 0x80
      n = Math.floor(n / 128)
    }
    this.buf[this.off++] = n
  }

  private ensure(bytes: number): void {
    if (this.off + bytes <= this.buf.length) return
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + bytes))
    this.buf.copy(next, 0, 0, this.off)
    this.buf = next
  }
}

/** Reads a Native block written by NativeBlockWriter (the same types), value by value. */
export class NativeBlockReader {
  private off: number
  readonly columns: number
  readonly rows: number

  /** The block starting at `start`; a block cut short throws a RangeError. */
  constructor(
    private readonly data: Uint8Array,
    start = 0,
  ) {
    this.off = start
    this.columns = this.varUInt()
    this.rows = this.varUInt()
  }

  /** Where the reader stands: after the last value read. */
  get offset(): number {
    return this.off
  }

  /** The next column's header; throws unless it is the column expected. */
  column(name: string, type: NativeType): void {
    const n = this.string()
    const t = this.string()
    if (n !== name || t !== type) throw new Error(`Native block: expected column ${name} ${type}, found ${n} ${t}`)
  }

  /** Steps over the next column, header and values, as a column of `type`. */
  skipColumn(type: NativeType): void {
    this.skip(this.varUInt()) // name
    this.skip(this.varUInt()) // type
    if (type === 'String') for (let r = 0; r < this.rows; r++) this.skip(this.varUInt())
    else this.skip(this.rows * FIXED_WIDTH[type])
  }

  string(): string {
    const n = this.varUInt()
    const s = Buffer.from(this.data.buffer, this.data.byteOffset + this.off, n).toString('utf8')
    this.off += n
    return s
  }

  float64(): number {
    const v = new DataView(this.data.buffer, this.data.byteOffset + this.off, 8).getFloat64(0, true)
    this.off += 8
    return v
  }

  int64(): number {
    const d = this.data
    const o = this.off
    this.off += 8
    const lo = (d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24)) >>> 0
    const hi = d[o + 4]! | (d[o + 5]! << 8) | (d[o + 6]! << 16) | (d[o + 7]! << 24)
    return hi * TWO_32 + lo
  }

  int8(): number {
    return (this.data[this.off++]! << 24) >> 24
  }

  uint8(): number {
    return this.data[this.off++]!
  }

  private skip(bytes: number): void {
    if (this.off + bytes > this.data.length) throw new RangeError('Native block cut short')
    this.off += bytes
  }

  private varUInt(): number {
    let n = 0
    for (let shift = 1; ; shift *= 128) {
      const b = this.data[this.off++]
      if (b === undefined) throw new RangeError('Native block cut short')
      n += (b & 0x7f) * shift
      if (b < 0x80) return n
    }
  }
}

/**
 * The length of the whole blocks at the start of `data` (a Native stream of the given column types)
 * and how many rows they hold: what is left after it is a block cut short by a crash mid-append.
 */
export function wholeBlocks(data: Buffer, types: readonly NativeType[]): { bytes: number; rows: number } {
  let whole = { bytes: 0, rows: 0 }
  try {
    while (whole.bytes < data.length) {
      const block = new NativeBlockReader(data, whole.bytes)
      if (block.columns !== types.length) break // not a block of this table
      for (const type of types) block.skipColumn(type)
      whole = { bytes: block.offset, rows: whole.rows + block.rows }
    }
  } catch (err) {
    if (!(err instanceof RangeError)) throw err
  }
  return whole
}
