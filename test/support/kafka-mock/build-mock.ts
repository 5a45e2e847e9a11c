import { execFile } from 'node:child_process'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const source = fileURLToPath(new URL('./kafka-mock.c', import.meta.url))
const cacheDir = fileURLToPath(new URL('../../../node_modules/.cache/eosc-am/', import.meta.url))
const binary = cacheDir + 'kafka-mock'

/**
 * Compiles kafka-mock.c once into node_modules/.cache (again when the source is newer). Several
 * vitest forks may race here: each builds to its own temporary name and renames it into place,
 * which is atomic, so no fork ever executes a half-written binary.
 */
export async function buildMockBinary(): Promise<string> {
  const [src, bin] = await Promise.all([stat(source), stat(binary).catch(() => undefined)])
  if (bin && bin.mtimeMs >= src.mtimeMs) return binary
  await mkdir(cacheDir, { recursive: true })
  const tmp = `${binary}.${process.pid}.${Date.now()}.tmp`
  try {
    await run('cc', ['-O2', '-o', tmp, source, '-lrdkafka'])
    await rename(tmp, binary)
  } catch (e) {
    await rm(tmp, { force: true })
    throw buildError(e)
  }
  return binary
}

function buildError(e: unknown): Error {
  const stderr = String((e as { stderr?: unknown }).stderr ?? '')
  if (/rdkafka(_mock)?\.h|-lrdkafka|cannot find -lrdkafka/.test(stderr)) {
    return new Error(
      'The Kafka test broker needs librdkafka and its mock cluster header (rdkafka_mock.h). ' +
        'Install them with: apt-get install -y librdkafka-dev\n' +
        stderr,
    )
  }
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
    return new Error('The Kafka test broker is built with a C compiler (cc), which was not found: apt-get install -y gcc')
  }
  return new Error(`building the Kafka test broker failed: ${stderr || String(e)}`, { cause: e })
}
