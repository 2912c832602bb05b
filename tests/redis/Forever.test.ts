/**
 * A server over Redis, against a redis-server the test starts: a forever session over the
 * Redis transport is stopped cleanly (`Stopped`, its peers `PeerFailed` with reason
 * `Stopped`, a trace that is a valid prefix); a durable role of a forever loop (`Role.resume`)
 * interrupted mid-loop and resumed goes on counting from its checkpoint, nothing applied
 * twice, and is then stopped: its peer is told, its checkpoint expires; the same with each
 * role in a process of its own, the durable one killed with SIGKILL and started again.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Deferred, Effect, Either, Exit, Fiber, Layer } from "effect"
import { Redis as IORedis } from "ioredis"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { Role, Session, Storage, TraceSink } from "../../src/index.js"
import { Redis } from "../../src/node/index.js"
import { Trace } from "../../src/testing/index.js"
import { PingPongForever } from "../fixtures/forever.js"
import { type CountA, type CountB, durableA, durableB } from "../fixtures/forever-durable.js"
import type { ForeverRoleConfig, ForeverRoleEvent } from "../fixtures/forever-role.js"
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

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..")
const children = new Set<ChildProcess>()
afterEach(async () => {
  await Promise.all([...children].map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve()
    c.once("exit", () => resolve())
    if (c.pid !== undefined) process.kill(c.pid, "SIGKILL")
  })))
  children.clear()
})

/** A durable role of the counting server in a process of its own: its events as they come, and its exit. */
const startProcess = (config: Omit<ForeverRoleConfig, "limitMs">, limitMs = 25_000) => {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "tests", "fixtures", "forever-role.ts"), JSON.stringify({ ...config, limitMs })], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"]
  })
  children.add(child)
  const events: Array<ForeverRoleEvent> = []
  let pending = ""
  let stderr = ""
  const waiters: Array<() => void> = []
  child.stdout!.on("data", (d: Buffer) => {
    pending += d.toString()
    const lines = pending.split("\n")
    pending = lines.pop() ?? ""
    for (const line of lines) if (line.startsWith("{")) events.push(JSON.parse(line) as ForeverRoleEvent)
    for (const w of waiters.splice(0)) w()
  })
  child.stderr!.on("data", (d: Buffer) => void (stderr.length < 10_000 && (stderr += d.toString())))
  const exit = new Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => {
      children.delete(child)
      for (const w of waiters.splice(0)) w()
      resolve({ code, signal })
    }))
  // A bound of its own too, past the process's: killed by PID.
  const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, "SIGKILL"), limitMs + 5000)
  void exit.then(() => clearTimeout(timer))
  /** Resolves once an event satisfies `p` (false when the process ends first, or after `ms`). */
  const until = (p: (e: ForeverRoleEvent) => boolean, ms = 15_000) =>
    new Promise<boolean>((resolve) => {
      const deadline = Date.now() + ms
      const check = () => {
        if (events.some(p)) return resolve(true)
        if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) return resolve(false)
        waiters.push(check)
        setTimeout(check, Math.max(0, deadline - Date.now()) + 1).unref()
      }
      check()
    })
  const applied = () => events.flatMap((e) => (e.ev === "applied" ? [e.state] : []))
  const end = () => events.find((e): e is Extract<ForeverRoleEvent, { ev: "end" }> => e.ev === "end")
  return { child, events, exit, until, applied, end, stderr: () => stderr }
}

describe("a durable server role in a process of its own, over Redis", () => {
  it("B killed with SIGKILL mid-loop and started again goes on counting from its checkpoint, nothing applied twice; then A is stopped by SIGTERM", async () => {
    const sessionId = `forever-processes-${Date.now()}`
    const a = startProcess({ role: "A", sessionId, url: server.url, stopOn: "SIGTERM", pauseMs: 2, retainMs: 5000 })
    const b1 = startProcess({ role: "B", sessionId, url: server.url })
    expect(await b1.until((e) => e.ev === "applied" && (e.state.expected ?? 0) >= 40), `B: ${b1.stderr()}`).toBe(true)
    b1.child.kill("SIGKILL")
    expect(await b1.exit).toEqual({ code: null, signal: "SIGKILL" })
    const before = b1.applied().at(-1)!.expected!
    // A waits for its pong meanwhile: its frames wait in B's stream.
    const aBefore = a.applied().length
    const b2 = startProcess({ role: "B", sessionId, url: server.url })
    expect(await b2.until((e) => e.ev === "applied" && (e.state.expected ?? 0) >= before + 60), `B again: ${b2.stderr()}`).toBe(true)
    a.child.kill("SIGTERM")
    const stoppedAt = Date.now()
    const exits = await Promise.all([a.exit, b2.exit])
    expect(Date.now() - stoppedAt).toBeLessThan(5000)
    expect(exits).toEqual([{ code: 0, signal: null }, { code: 0, signal: null }])
    expect(a.end()).toMatchObject({ tag: "Stopped" })
    expect(b2.end()).toMatchObject({ tag: "PeerFailed", reason: "Stopped" })
    // The restarted B went on from its checkpoint (the ping it had taken and not committed, at most, again).
    const resumed = b2.applied()
    expect(resumed[0].expected).toBeGreaterThanOrEqual(before)
    expect(resumed[0].expected).toBeLessThanOrEqual(before + 1)
    // Nothing applied twice nor lost, on either side: A's pongs came 1, 2, 3, ... across B's kill.
    expect([...b1.applied(), ...resumed].every((s) => s.wrong === 0)).toBe(true)
    const countsA = a.applied().map((s) => s.next)
    expect(countsA).toEqual(Array.from({ length: countsA.length }, (_, i) => i + 1))
    expect(a.applied().every((s) => s.wrong === 0)).toBe(true)
    expect(countsA.length).toBeGreaterThan(aBefore)
    // B had ping before + 59 at least; A its pong, unless it was stopped before that one came.
    expect(countsA.length).toBeGreaterThanOrEqual(before + 59)
  }, 60_000)
})
