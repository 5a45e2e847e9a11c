import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const ADMIN = 'bench-admin-token-0123456789'

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

/** Starts `eosc-am serve` as its own process (so its RSS is measured alone) and waits for /readyz. */
export async function startServer(dataDir: string, env: Record<string, string> = {}): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort()
  // The node flags bin/eosc-am.js and `npm start` run the server with.
  const child = spawn(process.execPath, ['--max-semi-space-size=64', ...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx', join(ROOT, 'src/cli.ts'), 'serve'], {
    env: { ...process.env, EOSC_AM_DATA_DIR: dataDir, EOSC_AM_PORT: String(port), EOSC_AM_HOST: '127.0.0.1', EOSC_AM_ADMIN_TOKEN: ADMIN, EOSC_AM_LOG_LEVEL: 'warn', ...env },
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited with ${child.exitCode ?? child.signalCode}`)
    try {
      if ((await fetch(`${url}/readyz`)).ok) break
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error('server did not become ready in 60 s')
    await new Promise((r) => setTimeout(r, 200))
  }
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

/** Samples a process's resident set size (Linux /proc) until stopped; returns the peak in bytes. */
export function sampleRss(pid: number, everyMs = 200): { stop(): number } {
  let peak = 0
  const read = () => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (m) peak = Math.max(peak, Number(m[1]) * 1024)
    } catch {
      /* process gone */
    }
  }
  const t = setInterval(read, everyMs)
  read()
  return {
    stop() {
      clearInterval(t)
      read()
      return peak
    },
  }
}

export async function api(url: string, path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  headers.set('Authorization', `Bearer ${init.token ?? ADMIN}`)
  return fetch(url + path, { ...init, headers })
}

export function writeResult(name: string, result: object): void {
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true })
  const path = join(ROOT, 'bench/results', `${name}.json`)
  writeFileSync(path, JSON.stringify({ name, at: new Date().toISOString(), ...result }, null, 2) + '\n')
  console.log(`→ ${path}`)
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

/** A progress line: rewritten in place on a terminal, one line each when piped to a log. */
export function progress(line: string): void {
  process.stdout.write(process.stdout.isTTY ? `\r\x1b[2K  ${line}` : `  ${line}\n`)
}

/** Ends progress lines before the next output (a terminal's line is still open). */
export function progressDone(): void {
  if (process.stdout.isTTY) process.stdout.write('\r\x1b[2K')
}
