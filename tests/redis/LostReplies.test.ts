/**
 * Answers from Redis lost on the way (the connection drops after Redis has done the command,
 * before the client has read its answer), through a proxy that drops the connection instead
 * of forwarding one chosen answer:
 *
 * - a read's answer: Redis counted its entries as delivered to the consumer; the reader reads
 *   its pending entries again once connected again, and the session completes;
 * - a commit's answer (the `EXEC` of a `MULTI`): ioredis sends the `MULTI` again, Redis applies
 *   it twice, and the receiver drops the frames it has had (by number): the session completes,
 *   every chunk applied once.
 *
 * (The first was found by a reproduction written with the crash trials.)
 */
import * as net from "node:net"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Role, TraceSink } from "../../src/index.js"
import { Redis } from "../../src/node/index.js"
import { consumer, DataStreaming, producer } from "../../examples/streaming.js"
import { type RedisServer, startRedis } from "../fixtures/redis-server.js"

let server: RedisServer
beforeAll(async () => {
  server = await startRedis()
})
afterAll(async () => {
  await server?.stop()
})

/** A proxy to the server that drops the connection instead of forwarding the first answer that `drop` picks. */
const lossyProxy = async (drop: (answer: Buffer) => boolean) => {
  let dropped = false
  const sockets = new Set<net.Socket>()
  const proxy = net.createServer((inbound) => {
    const outbound = net.connect({ host: "127.0.0.1", port: server.port })
    sockets.add(inbound).add(outbound)
    inbound.on("data", (c: Buffer) => outbound.write(c))
    outbound.on("data", (c: Buffer) => {
      if (!dropped && drop(c)) {
        dropped = true
        inbound.destroy()
        outbound.destroy()
        return
      }
      inbound.write(c)
    })
    const end = () => (inbound.destroy(), outbound.destroy())
    for (const s of [inbound, outbound]) s.on("error", end).on("close", end)
  })
  await new Promise<void>((r) => proxy.listen({ host: "127.0.0.1", port: 0 }, r))
  return {
    url: `redis://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`,
    dropped: () => dropped,
    close: () => {
      for (const s of sockets) s.destroy()
      proxy.close()
    }
  }
}

const chunks = ["a", "b", "c", "d", "e", "f"]
const expected = [
  { sent: 6, acked: [0, 1, 2, 3, 4, 5], confirmed: 6 },
  { streamId: "s", received: chunks, ended: true }
]

const session = (id: string, consumerUrl: string, sink?: TraceSink.TraceSinkService) =>
  Effect.all([
    Role.resume(DataStreaming, "Producer", producer("s", chunks), { sessionId: id }).pipe(Effect.provide(Redis.layer({ url: server.url }))),
    Role.resume(DataStreaming, "Consumer", consumer, { sessionId: id }).pipe(
      Effect.provide(Redis.layer({ url: consumerUrl })),
      sink === undefined ? (e) => e : Effect.provideService(TraceSink.TraceSink, sink)
    )
  ], { concurrency: "unbounded" }).pipe(Effect.timeout("10 seconds"))

describe("Redis transport: answers lost on the way", () => {
  it("a read's answer lost: the entries Redis counted as delivered are read again, the session completes", async () => {
    const id = `lost-read-${Date.now()}`
    const stream = Redis.streamKey(id, "Consumer")
    let replies = 0
    const proxy = await lossyProxy((c) => c.includes(stream) && ++replies === 3)
    try {
      expect(await Effect.runPromise(session(id, proxy.url))).toEqual(expected)
      expect(proxy.dropped()).toBe(true)
    } finally {
      proxy.close()
    }
  })

  it("a commit's answer lost: the MULTI is applied twice, the receiver drops what it has had, every chunk is applied once", async () => {
    const id = `lost-exec-${Date.now()}`
    // The answer to an EXEC of the Consumer's: an array of the answers of SET, XACK, XDEL and XADD, after its 3rd commit.
    let execs = 0
    const proxy = await lossyProxy((c) => /\*4\r\n\+OK\r\n:1\r\n:1\r\n\$\d+\r\n\d+-\d+\r\n/.test(c.toString("latin1")) && ++execs === 3)
    const producerSink = TraceSink.unsafeMakeRecorder()
    try {
      const result = await Effect.runPromise(
        Effect.all([
          Role.resume(DataStreaming, "Producer", producer("s", chunks), { sessionId: id }).pipe(
            Effect.provide(Redis.layer({ url: server.url })),
            Effect.provideService(TraceSink.TraceSink, producerSink)
          ),
          Role.resume(DataStreaming, "Consumer", consumer, { sessionId: id }).pipe(Effect.provide(Redis.layer({ url: proxy.url })))
        ], { concurrency: "unbounded" }).pipe(Effect.timeout("10 seconds"))
      )
      expect(result).toEqual(expected)
      expect(proxy.dropped()).toBe(true)
      // The frame the Consumer's doubled commit sent twice came to the Producer twice, and was dropped once.
      expect(producerSink.events().filter((e) => e._tag === "Duplicate").length).toBe(1)
    } finally {
      proxy.close()
    }
  })
})
