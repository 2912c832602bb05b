/**
 * A server over Redis, against a redis-server the test starts: a forever session over the
 * Redis transport is stopped cleanly (`Stopped`, its peers `PeerFailed` with reason
 * `Stopped`, a trace that is a valid prefix); a durable role of a forever loop (`Role.resume`)
 * interrupted mid-loop and resumed goes on counting from its checkpoint, nothing applied
 * twice, and is then stopped: its peer is told, its checkpoint expires.
 */
import { Deferred, Effect, Either, Exit, Fiber, Layer } from "effect"
import { Redis as IORedis } from "ioredis"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Role, Session, Storage, TraceSink } from "../../src/index.js"
import { Redis } from "../../src/node/index.js"
import { Trace } from "../../src/testing/index.js"
import { PingPongForever } from "../fixtures/forever.js"
import { type CountA, type CountB, durableA, durableB } from "../fixtures/forever-durable.js"
import { type RedisServer, startRedis } from "../fixtures/redis-server.js"

let server: RedisServer
beforeAll(async () => {
  server = await startRedis()
})
afterAll(async () => {
  await server?.stop()
})

/** Ping-pong that completes `stop` at the `n`th pong. */
const pingPong = (n: number, stop: Deferred.Deferred<void>) => {
  let pongs = 0
  return {
    A: Role.implement(PingPongForever, "A", {
      send: { Ping: (s) => s },
      recv: { Pong: (_, m) => (++pongs === n && Deferred.unsafeDone(stop, Exit.void), m + 1) }
    }, 0),
    B: Role.implement(PingPongForever, "B", { send: { Pong: (s) => s }, recv: { Ping: (_, m) => m } }, 0),
    pongs: () => pongs
  }
}

const errorOf = <A, E>(e: Exit.Exit<A, E>) => (Exit.isFailure(e) && e.cause._tag === "Fail" ? e.cause.error : undefined)

describe("a server over the Redis transport", () => {
  it("Session.run with stop: 200 rounds over Redis, then Stopped naming both roles; the trace is a valid prefix", async () => {
    const exit = await Effect.runPromise(
      Effect.gen(function*() {
        const stop = yield* Deferred.make<void>()
        const roles = pingPong(200, stop)
        const [exit, trace] = yield* TraceSink.recording(
          Effect.exit(Session.run(PingPongForever, { A: roles.A, B: roles.B }, { stop: Deferred.await(stop), sessionId: "redis-forever-1" }))
        )
        return { exit, trace, pongs: roles.pongs() }
      }).pipe(Effect.provide(Redis.layer({ url: server.url })), Effect.timeout(20_000))
    )
    expect(errorOf(exit.exit)).toMatchObject({ _tag: "Stopped", session: "redis-forever-1", roles: ["A", "B"] })
    expect(exit.pongs).toBeGreaterThanOrEqual(200)
    const valid = Trace.validate(PingPongForever, exit.trace, { complete: false })
    expect(Either.isRight(valid) ? "valid" : valid.left.message).toBe("valid")
    expect(exit.trace.filter((e) => e._tag === "Receive").length).toBeGreaterThanOrEqual(400)
  })

  it("roles run apart, each on a Redis transport of its own (as on two hosts): B stopped, A fails with PeerFailed, reason Stopped, at once", async () => {
    const result = await Effect.runPromise(
      Effect.scoped(Effect.gen(function*() {
        const hostA = yield* Layer.build(Redis.layer({ url: server.url }))
        const hostB = yield* Layer.build(Redis.layer({ url: server.url }))
        const stop = yield* Deferred.make<void>()
        const roles = pingPong(150, stop)
        const a = yield* Effect.fork(Effect.exit(Effect.provide(Role.run(PingPongForever, "A", roles.A, { sessionId: "redis-forever-2" }), hostA)))
        const b = yield* Effect.fork(Effect.exit(Effect.provide(Role.run(PingPongForever, "B", roles.B, { sessionId: "redis-forever-2", stop: Deferred.await(stop) }), hostB)))
        yield* Deferred.await(stop)
        const stoppedAt = Date.now()
        const [ea, eb] = yield* Effect.all([Fiber.join(a), Fiber.join(b)])
        return { ea, eb, took: Date.now() - stoppedAt, pongs: roles.pongs() }
      })).pipe(Effect.timeout(20_000))
    )
    expect(errorOf(result.eb)).toMatchObject({ _tag: "Stopped", roles: ["B"] })
    expect(errorOf(result.ea)).toMatchObject({ _tag: "PeerFailed", role: "A", peer: "B", reason: "Stopped", retryable: false })
    expect(result.took).toBeLessThan(3000)
    expect(result.pongs).toBeGreaterThanOrEqual(150)
  })
})

describe("a durable server role over Redis (Role.resume)", () => {
  it("B interrupted mid-loop and resumed on another transport goes on counting from its checkpoint, nothing applied twice; then A is stopped", async () => {
    const session = "redis-forever-durable"
    const seenA: Array<CountA> = []
    const seenB: Array<{ readonly run: number; readonly state: CountB }> = []
    let run = 1
    const stop = Effect.runSync(Deferred.make<void>())
    const a = durableA((s) => {
      seenA.push(s)
      if (s.next === 120) Deferred.unsafeDone(stop, Exit.void)
    }, 1)
    const b = durableB((s) => void seenB.push({ run, state: s }))
    const result = await Effect.runPromise(
      Effect.scoped(Effect.gen(function*() {
        const first = yield* Layer.build(Redis.layer({ url: server.url, retain: "5 seconds" }))
        const second = yield* Layer.build(Redis.layer({ url: server.url, retain: "5 seconds" }))
        const fa = yield* Effect.fork(Effect.exit(Effect.provide(Role.resume(PingPongForever, "A", a, { sessionId: session, stop: Deferred.await(stop) }), second)))
        const b1 = yield* Effect.fork(Effect.provide(Role.resume(PingPongForever, "B", b, { sessionId: session }), first))
        // Mid-loop: after B's 40th ping, a crash as far as the session can tell.
        while (seenB.length < 40) yield* Effect.sleep("5 millis")
        yield* Fiber.interrupt(b1)
        const before = seenB[seenB.length - 1].state
        yield* Effect.sleep("50 millis")
        run = 2
        const fb = yield* Effect.fork(Effect.exit(Effect.provide(Role.resume(PingPongForever, "B", b, { sessionId: session }), second)))
        const [ea, eb] = yield* Effect.all([Fiber.join(fa), Fiber.join(fb)])
        return { ea, eb, before }
      })).pipe(Effect.timeout(30_000))
    )
    expect(errorOf(result.ea)).toMatchObject({ _tag: "Stopped", roles: ["A"], session })
    expect(errorOf(result.eb)).toMatchObject({ _tag: "PeerFailed", role: "B", peer: "A", reason: "Stopped" })
    const resumed = seenB.filter((e) => e.run === 2).map((e) => e.state)
    // It went on from its checkpoint: its first ping after the restart is the next one (or the
    // one it had taken and not committed), not ping 0.
    expect(resumed.length).toBeGreaterThan(50)
    expect(resumed[0].expected).toBeGreaterThanOrEqual(result.before.expected)
    expect(resumed[0].expected).toBeLessThanOrEqual(result.before.expected + 1)
    // Nothing applied twice nor lost: every ping was the one expected, in both runs; A's pongs too.
    expect(seenB.every((e) => e.state.wrong === 0)).toBe(true)
    expect(seenA.every((s) => s.wrong === 0)).toBe(true)
    expect(seenA.map((s) => s.next)).toEqual(Array.from({ length: seenA.length }, (_, i) => i + 1))
    expect(resumed[resumed.length - 1].expected).toBeGreaterThanOrEqual(120)
    // Stopped, A is not expected back: its checkpoint expires after `retain`, as a failed role's does.
    const admin = new IORedis(server.url)
    try {
      const ttl = await admin.pttl(Storage.checkpointKey("PingPongForever", session, "A"))
      expect(ttl).toBeGreaterThan(0)
      expect(ttl).toBeLessThanOrEqual(5000)
    } finally {
      admin.disconnect()
    }
  })
})
