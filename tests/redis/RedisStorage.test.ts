/**
 * `Storage` on Redis, against a `redis-server` the test starts itself (a free loopback port,
 * a temporary directory, AOF with `appendfsync always`), stopped by PID: the same laws as the
 * other storages; what was written survives the server killed -9 and started again on its
 * data; a write made while the server is down completes once it is back; a server that stays
 * away is a typed `StorageError` once the retry schedule gives up.
 */
import { Duration, Effect, Fiber, Option, Schedule } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Storage } from "../../src/index.js"
import { Redis } from "../../src/node/index.js"
import { type RedisServer, startRedis } from "../fixtures/redis-server.js"
import { laws } from "../fixtures/storage-laws.js"

let server: RedisServer
beforeAll(async () => {
  server = await startRedis()
})
afterAll(async () => {
  await server?.stop()
})

const withStorage = <A, E>(body: (s: Storage.StorageService) => Effect.Effect<A, E>, options: Redis.RedisClientOptions = {}) =>
  Effect.runPromise(Effect.flatMap(Storage.Storage, body).pipe(Effect.provide(Redis.storageLayer({ url: server.url, ...options }))) as Effect.Effect<A, E>)

describe("Storage on Redis", () => {
  it("gets, sets, overwrites and removes, for any key", () => withStorage((s) => laws(Effect.succeed(s))))

  it("what it acknowledged survives redis-server killed -9 and started again on its data", async () => {
    await withStorage((s) => s.set(Storage.checkpointKey("P", "s1", "A"), "step 7"))
    await server.kill("SIGKILL")
    await server.start()
    expect(await withStorage((s) => s.get(Storage.checkpointKey("P", "s1", "A")))).toEqual(Option.some("step 7"))
  })

  it("a write made while the server is down completes once it is back, on the retry schedule", async () => {
    const value = await withStorage((s) =>
      Effect.gen(function*() {
        yield* s.set("k", "before")
        yield* Effect.promise(() => server.kill("SIGKILL"))
        const write = yield* Effect.fork(s.set("k", "during"))
        yield* Effect.sleep("300 millis")
        expect(write.unsafePoll()).toBe(null)
        yield* Effect.promise(() => server.start())
        yield* Fiber.join(write)
        return yield* s.get("k")
      }))
    expect(value).toEqual(Option.some("during"))
  })

  it("a server that stays away is a StorageError once the schedule gives up", async () => {
    await server.kill("SIGKILL")
    try {
      const started = Date.now()
      const error = await withStorage((s) => Effect.flip(s.get("k")), { retry: Schedule.spaced(Duration.millis(50)).pipe(Schedule.upTo(Duration.millis(400))) })
      expect(error).toMatchObject({ _tag: "StorageError", key: "k" })
      expect(Date.now() - started).toBeLessThan(5000)
    } finally {
      await server.start()
    }
  })
})
