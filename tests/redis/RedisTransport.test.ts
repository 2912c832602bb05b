/**
 * The Redis Streams transport in one process, against a redis-server the test starts: durable
 * sessions complete; a role interrupted at any commit and resumed completes with the same
 * results; frames that are no envelopes are rejected; finished sessions' keys expire.
 */
import { Effect, Fiber, Layer, Schedule, Schema } from "effect"
import { Redis as IORedis } from "ioredis"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Protocol, Role, Storage, TraceSink } from "../../src/index.js"
import { Redis } from "../../src/node/index.js"
import { coordinator, participant, TwoPhaseCommit } from "../../examples/two-phase-commit.js"
import { type RedisServer, startRedis } from "../fixtures/redis-server.js"
import { runDurable } from "../fixtures/durable.js"

let server: RedisServer
beforeAll(async () => {
  server = await startRedis()
})
afterAll(async () => {
  await server?.stop()
})

const expected = { Coordinator: { transactionId: 7, vote: "commit", outcome: "committed" }, Participant: { transactionId: 7, applied: "committed" } }

describe("Redis transport", () => {
  it("runs TwoPhaseCommit durably, each role resumed", async () => {
    const r = await Effect.runPromise(
      Effect.all([
        Role.resume(TwoPhaseCommit, "Coordinator", coordinator(7), { sessionId: "t1" }),
        Role.resume(TwoPhaseCommit, "Participant", participant("commit"), { sessionId: "t1" })
      ], { concurrency: "unbounded" }).pipe(Effect.provide(Redis.layer({ url: server.url })), Effect.timeout(10000))
    )
    expect(r).toEqual([expected.Coordinator, expected.Participant])
  })
  for (const when of ["before-send", "after-commit"] as const) {
    for (const role of ["Coordinator", "Participant"]) {
      for (let at = 1; at <= (role === "Coordinator" ? 3 : 2); at++) {
        it(`${role} interrupted ${when === "before-send" ? "before" : "after"} its commit ${at} and resumed`, async () => {
          const r = await Effect.runPromise(
            runDurable(TwoPhaseCommit, { Coordinator: coordinator(7), Participant: participant("commit") }, { sessionId: `c-${when}-${role}-${at}`, crash: { role, at, when } }).pipe(
              Effect.provide(Redis.layer({ url: server.url })),
              Effect.timeout(10000)
            )
          )
          expect(r.crashed).toBe(true)
          expect(r.results).toEqual(expected)
        })
      }
    }
  }
})

/** A's count goes up by one with each Pong; B keeps the list of every Ping it applied (its applied log). */
const Counting = Protocol.make("Counting", {
  roles: ["A", "B"],
  messages: { Ping: Schema.Number, Pong: Schema.Number, Stop: Schema.Struct({}) }
}, (g) =>
  g.loop("rounds", (r) =>
    r
      .msg("A", "B", "Ping")
      .msg("B", "A", "Pong")
      .choice("A", "again", {
        more: (b) => b.recur("rounds"),
        stop: (b) => b.msg("A", "B", "Stop")
      })))

const countA = (rounds: number, pause = 0) =>
  Role.implement(Counting, "A", {
    send: { Ping: (n) => n, Stop: () => ({}) },
    recv: { Pong: (n, reply) => (pause === 0 ? reply + 1 : Effect.as(Effect.sleep(pause), reply + 1)) },
    choose: { again: (n) => (n < rounds ? "more" : "stop") }
  }, 0, { state: Schema.Number })

const logB = Role.implement(Counting, "B", {
  send: { Pong: (log) => log[log.length - 1] },
  recv: { Ping: (log, n) => [...log, n], Stop: (log) => log }
}, [] as ReadonlyArray<number>, { state: Schema.Array(Schema.Number) })

const both = (session: string, rounds: number, pause = 0) =>
  Effect.all([
    Role.resume(Counting, "A", countA(rounds, pause), { sessionId: session }),
    Role.resume(Counting, "B", logB, { sessionId: session })
  ], { concurrency: "unbounded" })

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

describe("Redis transport: the engine, hostile entries, expiry", () => {
  it("a redis-server killed -9 mid-session and started again on its data: the session completes, nothing lost or doubled", async () => {
    const rounds = 60
    const result = await Effect.runPromise(
      Effect.gen(function*() {
        const session = yield* Effect.fork(both("engine-kill", rounds, 5))
        yield* Effect.sleep("120 millis")
        yield* Effect.promise(() => server.kill("SIGKILL"))
        yield* Effect.sleep("300 millis")
        yield* Effect.promise(() => server.start())
        return yield* Fiber.join(session)
      }).pipe(Effect.provide(Redis.layer({ url: server.url })), Effect.timeout(30000))
    )
    expect(result[0]).toBe(rounds)
    expect(result[1]).toEqual(range(rounds))
  })

  it("stream entries that are no frames of the role are rejected (recorded), and the session goes on", async () => {
    const session = "hostile"
    const admin = new IORedis(server.url)
    const stream = Redis.streamKey(session, "B")
    try {
      await admin.xadd(stream, "*", "f", "{not json")
      await admin.xadd(stream, "*", "g", "wrong field")
      await admin.xadd(stream, "*", "f", JSON.stringify({ session, from: "A", to: "B", label: "Ping" }))
      await admin.xadd(stream, "*", "f", JSON.stringify({ session: "other", from: "A", to: "B", label: "Ping", site: "x", loops: {}, seq: 0, payload: 1 }))
      await admin.xadd(stream, "*", "f", "x".repeat(2000))
      const sink = TraceSink.unsafeMakeRecorder()
      const result = await Effect.runPromise(
        both(session, 3).pipe(Effect.provide(Redis.layer({ url: server.url, maxFrameBytes: 1000 })), Effect.provideService(TraceSink.TraceSink, sink), Effect.timeout(10000))
      )
      expect(result).toEqual([3, [0, 1, 2]])
      expect(sink.events().filter((e) => e._tag === "Reject").length).toBe(5)
      // Rejected entries are acknowledged: none stays pending.
      const pending = (await admin.xpending(stream, Redis.group)) as [number, ...Array<unknown>]
      expect(pending[0]).toBe(0)
    } finally {
      admin.disconnect()
    }
  })

  it("a finished role resumed again returns its result at once; its keys expire after `retain`", async () => {
    const session = "expiring"
    const layer = Redis.layer({ url: server.url, retain: "300 millis" })
    const first = await Effect.runPromise(both(session, 4).pipe(Effect.provide(layer), Effect.timeout(10000)))
    expect(first).toEqual([4, [0, 1, 2, 3]])
    // B again, alone: finished, it needs no frame.
    const again = await Effect.runPromise(Role.resume(Counting, "B", logB, { sessionId: session }).pipe(Effect.provide(layer), Effect.timeout(2000)))
    expect(again).toEqual([0, 1, 2, 3])
    const admin = new IORedis(server.url)
    try {
      expect((await admin.keys(`*{${session}}*`)).length).toBeGreaterThan(0)
      await new Promise((r) => setTimeout(r, 600))
      expect(await admin.keys(`*{${session}}*`)).toEqual([])
    } finally {
      admin.disconnect()
    }
  })

  it("a checkpoint of another version of the protocol is refused with CheckpointError", async () => {
    const session = "versions"
    await Effect.runPromise(both(session, 2).pipe(Effect.provide(Redis.layer({ url: server.url })), Effect.timeout(10000)))
    const Changed = Protocol.make("Counting", { roles: ["A", "B"], messages: { Ping: Schema.Number } }, (g) => g.msg("A", "B", "Ping"))
    const b = Role.implement(Changed, "B", { recv: { Ping: (_, n) => n } }, 0, { state: Schema.Number })
    const error = await Effect.runPromise(Effect.flip(Role.resume(Changed, "B", b, { sessionId: session })).pipe(Effect.provide(Redis.layer({ url: server.url })), Effect.timeout(2000)))
    expect(error._tag).toBe("CheckpointError")
    expect(error.message).toContain("another version of the protocol")
  })
})

describe("Redis transport: a role that fails", () => {
  it("tells its peer, and its checkpoint expires after `retain`", async () => {
    const session = "failing"
    const failingB = Role.implement(Counting, "B", {
      send: { Pong: (log) => log[log.length - 1] },
      recv: { Ping: (log, n) => (n === 2 ? Effect.fail("no third ping" as const) : [...log, n]), Stop: (log) => log }
    }, [] as ReadonlyArray<number>, { state: Schema.Array(Schema.Number) })
    const layer = Redis.layer({ url: server.url, retain: "5 seconds" })
    const [a, b] = await Effect.runPromise(
      Effect.all([
        Effect.flip(Role.resume(Counting, "A", countA(5), { sessionId: session })),
        Effect.flip(Role.resume(Counting, "B", failingB, { sessionId: session }))
      ], { concurrency: "unbounded" }).pipe(Effect.provide(layer), Effect.timeout(10000))
    )
    expect(b).toBe("no third ping")
    expect(a).toMatchObject({ _tag: "PeerFailed", peer: "B" })
    const admin = new IORedis(server.url)
    try {
      const ttl = await admin.pttl(Storage.checkpointKey("Counting", session, "B"))
      expect(ttl).toBeGreaterThan(0)
      expect(ttl).toBeLessThanOrEqual(5000)
    } finally {
      admin.disconnect()
    }
  })
})

describe("Redis transport: found by review", () => {
  it("a pending entry deleted from the stream (it comes back with no fields) is rejected, and the reader goes on", async () => {
    const session = "nil-entry"
    const admin = new IORedis(server.url)
    const stream = Redis.streamKey(session, "B")
    try {
      await admin.xgroup("CREATE", stream, Redis.group, "0", "MKSTREAM")
      const id = await admin.xadd(stream, "*", "f", "junk")
      await admin.xreadgroup("GROUP", Redis.group, "B", "STREAMS", stream, ">")
      await admin.xdel(stream, id!)
      const result = await Effect.runPromise(both(session, 3).pipe(Effect.provide(Redis.layer({ url: server.url })), Effect.timeout(10000)))
      expect(result).toEqual([3, [0, 1, 2]])
    } finally {
      admin.disconnect()
    }
  })

  it("a role interrupted on one transport and resumed on another: the first one's reader has stopped, the second gets every frame", async () => {
    const session = "two-layers"
    const result = await Effect.runPromise(
      Effect.scoped(Effect.gen(function*() {
        const first = yield* Layer.build(Redis.layer({ url: server.url }))
        const second = yield* Layer.build(Redis.layer({ url: server.url }))
        const a = yield* Effect.fork(Effect.provide(Role.resume(Counting, "A", countA(40, 5), { sessionId: session }), second))
        const b1 = yield* Effect.fork(Effect.provide(Role.resume(Counting, "B", logB, { sessionId: session }), first))
        yield* Effect.sleep("80 millis")
        yield* Fiber.interrupt(b1)
        const b2 = yield* Effect.fork(Effect.provide(Role.resume(Counting, "B", logB, { sessionId: session }), second))
        return yield* Effect.all([Fiber.join(a), Fiber.join(b2)])
      })).pipe(Effect.timeout(15000))
    )
    expect(result).toEqual([40, range(40)])
  })

  it("a durable role's stream holds only what it has not committed: entries it acknowledged are deleted", async () => {
    const session = "small-streams"
    const admin = new IORedis(server.url)
    try {
      let longest = 0
      const watch = Effect.repeat(
        Effect.promise(() => admin.xlen(Redis.streamKey(session, "B")).then((n) => void (longest = Math.max(longest, n)))),
        Schedule.spaced("2 millis")
      )
      const result = await Effect.runPromise(
        Effect.raceFirst(both(session, 200), Effect.zipRight(watch, Effect.never)).pipe(Effect.provide(Redis.layer({ url: server.url })), Effect.timeout(20000))
      )
      expect(result[1]).toEqual(range(200))
      expect(longest).toBeLessThanOrEqual(2)
      expect(await admin.xlen(Redis.streamKey(session, "B"))).toBe(0)
    } finally {
      admin.disconnect()
    }
  })

  it("a commit that fails fails the role with its own error, not as a TransportError of the wait after it", async () => {
    const Small = Schema.Number.pipe(Schema.lessThan(1))
    const a = Role.implement(Counting, "A", {
      send: { Ping: (n) => n, Stop: () => ({}) },
      recv: { Pong: (n) => n + 1 },
      choose: { again: (n) => (n < 3 ? "more" : "stop") }
    }, 0, { state: Small })
    // Each role's own outcome (A's failure notice makes B fail too, at about the same time).
    const [errorA, errorB] = await Effect.runPromise(
      Effect.all([
        Effect.flip(Role.resume(Counting, "A", a, { sessionId: "bad-state" })),
        Effect.flip(Role.resume(Counting, "B", logB, { sessionId: "bad-state" }))
      ], { concurrency: "unbounded" }).pipe(Effect.provide(Redis.layer({ url: server.url })), Effect.timeout(10000))
    )
    expect(errorA).toMatchObject({ _tag: "ImplementationError", role: "A" })
    expect(errorB).toMatchObject({ _tag: "PeerFailed", peer: "A", reason: "ImplementationError" })
  })
})
