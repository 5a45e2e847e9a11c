import { spawn } from 'node:child_process'
import net from 'node:net'
import { buildMockBinary } from './build-mock.js'
import { controlChannel } from './control-channel.js'
import {
  API_API_VERSIONS,
  API_CREATE_TOPICS,
  API_FETCH,
  API_FIND_COORDINATOR,
  API_METADATA,
  capFetchWait,
  encodeCreateTopicsResponse,
  frameReader,
  parseCreateTopics,
  patchApiVersions,
  patchFindCoordinator,
  patchMetadata,
  type CreateTopicResult,
} from './kafka-protocol.js'

/**
 * Kafka on loopback for tests: librdkafka's mock cluster (kafka-mock.c) behind a small "front".
 * The mock speaks the real wire protocol but has no CreateTopics and reports controllerId 0 (no
 * such broker), so kafkajs' admin.createTopics fails against it. The front relays size-prefixed
 * frames unchanged, except that it:
 *  - adds CreateTopics (19) v0–v3 to ApiVersions responses and answers those requests itself
 *    through the helper's control channel;
 *  - rewrites broker ports in Metadata and FindCoordinator responses to the front's own ports
 *    (so every connection keeps going through the front) and points controllerId at a live broker;
 *  - shortens Fetch waits (see FETCH_WAIT_MS).
 * kafkajs matches responses by correlation id, so answering CreateTopics out of order is fine.
 *
 * Know before relying on it: Metadata is v0–v2 only, so a Metadata request for an unknown topic
 * auto-creates it with 4 partitions; retention is ~5 MB per partition; a fresh group's first join
 * takes ~3 s and a rejoin after a member left waits out the session timeout (use sessionTimeout
 * 6000 and a unique groupId per test). No SASL, no TLS.
 */
export interface MockKafka {
  /** `127.0.0.1:<port>` of each front listener, for kafkajs' `brokers`. */
  readonly brokers: string[]
  /** Resolves to the Kafka error code: 0 created, 36 already exists. */
  createTopic(name: string, partitions: number, replicationFactor?: number): Promise<number>
  /** Drops the mock broker's connections and refuses new ones (ids are 1..brokers). */
  brokerDown(id: number): Promise<void>
  brokerUp(id: number): Promise<void>
  stop(): Promise<void>
}

export interface MockKafkaOptions {
  brokers?: number
  /** Partitions for a CreateTopics request that asks for the broker default (-1). */
  defaultPartitions?: number
  log?: (message: string) => void
}

/**
 * The mock answers an empty fetch only after its full MaxWait, even when data arrives meanwhile
 * (Kafka answers as soon as there is data), so a consumer that caught up would stall for its
 * whole wait. Short waits make the mock about as prompt as a broker.
 */
const FETCH_WAIT_MS = 20
const ERR_TOPIC_ALREADY_EXISTS = 36
const ERR_INVALID_REPLICATION_FACTOR = 38

export async function startMockKafka(opts: MockKafkaOptions = {}): Promise<MockKafka> {
  const brokerCount = opts.brokers ?? 1
  const defaultPartitions = opts.defaultPartitions ?? 1
  const log = opts.log ?? (() => {})
  const binary = await buildMockBinary()
  const child = spawn(binary, [String(brokerCount)], { stdio: ['pipe', 'pipe', 'pipe'] })
  const control = controlChannel(child)

  const upstreamPorts = (await control.firstLine).split(',').map((s) => Number(s.split(':')[1]))
  const portMap = new Map<number, number>()
  const mapPort = (port: number) => portMap.get(port) ?? port
  const servers: net.Server[] = []
  const sockets = new Set<net.Socket>()

  const createTopic = async (name: string, partitions: number, replicationFactor = 1) => {
    const reply = await control.command(`create ${name} ${partitions} ${replicationFactor}`)
    return Number(reply.split(' ')[2])
  }
  const setBroker = async (state: 'down' | 'up', id: number) => {
    const code = Number((await control.command(`${state} ${id}`)).split(' ')[2])
    if (code !== 0) throw new Error(`mock broker ${id} ${state}: error ${code}`)
  }

  async function answerCreateTopics(f: Buffer): Promise<Buffer> {
    const req = parseCreateTopics(f)
    const results: CreateTopicResult[] = []
    for (const t of req.topics) {
      const parts = t.numPartitions > 0 ? t.numPartitions : t.assignedPartitions || defaultPartitions
      const rf = t.replicationFactor > 0 ? t.replicationFactor : 1
      let code = 0
      let message: string | null = null
      if (rf > brokerCount) {
        code = ERR_INVALID_REPLICATION_FACTOR
        message = `Replication factor: ${rf} larger than available brokers: ${brokerCount}.`
      } else if (!req.validateOnly) {
        code = await createTopic(t.name, parts, rf)
        if (code === ERR_TOPIC_ALREADY_EXISTS) message = `Topic '${t.name}' already exists.`
      }
      log(`CreateTopics v${req.version} ${t.name} partitions=${parts} rf=${rf} -> ${code}`)
      results.push({ name: t.name, code, message })
    }
    return encodeCreateTopicsResponse(req.version, req.correlationId, results)
  }

  function relay(client: net.Socket, upstreamPort: number) {
    const up = net.connect(upstreamPort, '127.0.0.1')
    // As brokers do (Kafka's SocketServer sets TCP_NODELAY): no Nagle delay on small responses.
    client.setNoDelay(true)
    up.setNoDelay(true)
    sockets.add(client)
    sockets.add(up)
    const pending = new Map<number, { apiKey: number; ver: number }>()
    client.on(
      'data',
      frameReader((f) => {
        const apiKey = f.readInt16BE(4)
        const ver = f.readInt16BE(6)
        if (apiKey === API_CREATE_TOPICS) {
          answerCreateTopics(f).then(
            (r) => client.writable && client.write(r),
            (e: unknown) => {
              log(`CreateTopics failed: ${String(e)}`)
              client.destroy()
            },
          )
          return
        }
        if (apiKey === API_FETCH) capFetchWait(f, FETCH_WAIT_MS)
        pending.set(f.readInt32BE(8), { apiKey, ver })
        up.write(f)
      }),
    )
    up.on(
      'data',
      frameReader((frame) => {
        let f = frame
        const corr = f.readInt32BE(4)
        const req = pending.get(corr)
        pending.delete(corr)
        if (req?.apiKey === API_API_VERSIONS) f = patchApiVersions(f)
        else if (req?.apiKey === API_METADATA) f = patchMetadata(f, req.ver, mapPort)
        else if (req?.apiKey === API_FIND_COORDINATOR) f = patchFindCoordinator(f, req.ver, mapPort)
        if (client.writable) client.write(f)
      }),
    )
    const done = () => {
      client.destroy()
      up.destroy()
      sockets.delete(client)
      sockets.delete(up)
    }
    client.on('close', done).on('error', done)
    up.on('close', done).on('error', done)
  }

  try {
    for (const upstreamPort of upstreamPorts) {
      const server = net.createServer((sock) => relay(sock, upstreamPort))
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      portMap.set(upstreamPort, (server.address() as net.AddressInfo).port)
      servers.push(server)
    }
  } catch (e) {
    child.kill()
    throw e
  }

  return {
    brokers: upstreamPorts.map((p) => `127.0.0.1:${portMap.get(p)}`),
    createTopic,
    brokerDown: (id) => setBroker('down', id),
    brokerUp: (id) => setBroker('up', id),
    async stop() {
      for (const s of sockets) s.destroy()
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
      await control.close()
    },
  }
}
