import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { createInterface } from 'node:readline'

/** The helper's stdin/stdout protocol: one reply line per command, commands serialised. */
export function controlChannel(child: ChildProcessWithoutNullStreams) {
  const lines: string[] = []
  const waiters: { resolve: (l: string) => void; reject: (e: Error) => void }[] = []
  let stderr = ''
  let exited: Error | undefined
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  // A write to a helper that already died fails with EPIPE; the 'exit' handler reports why.
  child.stdin.on('error', () => {})
  createInterface({ input: child.stdout }).on('line', (l) => {
    const w = waiters.shift()
    if (w) w.resolve(l)
    else lines.push(l)
  })
  const exit = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      exited = new Error(`kafka-mock helper exited (code ${code}, signal ${signal}): ${stderr.trim()}`)
      for (const w of waiters.splice(0)) w.reject(exited)
      resolve()
    }),
  )
  child.on('error', (e) => {
    exited = e
    for (const w of waiters.splice(0)) w.reject(e)
  })
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      const l = lines.shift()
      if (l !== undefined) resolve(l)
      else if (exited) reject(exited)
      else waiters.push({ resolve, reject })
    })
  let chain: Promise<unknown> = Promise.resolve()
  return {
    firstLine: nextLine(),
    command(line: string): Promise<string> {
      const run = chain.then(() => {
        child.stdin.write(line + '\n')
        return nextLine()
      })
      chain = run.catch(() => undefined)
      return run
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.stdin.end()
      await exit
    },
  }
}

