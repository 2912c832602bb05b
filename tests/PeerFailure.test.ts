/**
 * Peer failure: a role that fails or is interrupted tells every peer it still has steps with,
 * so that roles run apart (`Role.run` in separate fibers over one transport) never wait for a
 * dead peer; a peer waiting on it fails with `PeerFailed`.
 */
import { it } from "@effect/vitest"
import { Data, Duration, Effect, Exit, Fiber, Schema } from "effect"
import { describe, expect } from "vitest"
import { isRetryable, Memory, PeerFailed, Protocol, Reliable, Role, TraceSink, Transport, type TransportService } from "../src/index.js"
import { simulateEffect } from "../src/testing/index.js"

const N = Schema.Number

class Refused extends Data.TaggedError("Refused")<{ readonly message: string }> {}

/** A asks B, B asks C, C answers B, B answers A. */
const Chain = Protocol.make("Chain", { roles: ["A", "B", "C"], messages: { Ask: N, Fwd: N, Back: N, Answer: N } }, (g) =>
  g.msg("A", "B", "Ask").msg("B", "C", "Fwd").msg("C", "B", "Back").msg("B", "A", "Answer"))

const a = Role.implement(Chain, "A", { send: { Ask: () => 1 }, recv: { Answer: (_, x) => x } }, 0)
const c = Role.implement(Chain, "C", { send: { Back: (s) => s * 10 }, recv: { Fwd: (_, x) => x } }, 0)
const b = Role.implement(Chain, "B", { send: { Fwd: (s) => s + 1, Answer: (s) => s + 1 }, recv: { Ask: (_, x) => x, Back: (_, x) => x } }, 0)
/** B refuses as soon as it is asked. */
const refusing = Role.implement(Chain, "B", {
  send: { Fwd: () => Effect.fail(new Refused({ message: "B's service is down" })), Answer: (s) => s },
  recv: { Ask: (_, x) => x, Back: (_, x) => x }
}, 0)

/** Runs the three roles apart, each with Role.run, over `transport`; each role's exit. */
const apart = (bImpl: typeof b | typeof refusing, transport: TransportService, sessionId = "apart") =>
  Effect.all([
    Effect.exit(Role.run(Chain, "A", a, { sessionId })),
    Effect.exit(Role.run(Chain, "B", bImpl, { sessionId })),
    Effect.exit(Role.run(Chain, "C", c, { sessionId }))
  ], { concurrency: "unbounded" }).pipe(
    Effect.provideService(Transport, transport),
    Effect.timeoutFail({ duration: "3 seconds", onTimeout: () => "hung" as const })
  )

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined =>
  Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined

describe("a role that fails tells its peers", () => {
  it.live("roles run apart: when B's handler fails, A and C, both waiting on B, fail with PeerFailed", () =>
    Effect.gen(function*() {
      const memory = yield* Memory.make
      const [ea, eb, ec] = yield* apart(refusing, memory)
      expect(failureOf(eb)).toBeInstanceOf(Refused)
      const fa = failureOf(ea)
      expect(fa).toBeInstanceOf(PeerFailed)
      expect(fa).toMatchObject({
        role: "A",
        peer: "B",
        site: "3",
        reason: "Refused",
        cause: "B's service is down",
        retryable: false,
        message: "A was waiting for Answer from B (site 3) when B failed: Refused: B's service is down"
      })
      expect(failureOf(ec)).toMatchObject({ _tag: "PeerFailed", role: "C", peer: "B", site: "1" })
      expect(memory.stats()).toMatchObject({ sessions: 0, frames: 0 })
    }))

  it.live("the same roles, nobody failing, complete: notices are sent only on failure", () =>
    Effect.gen(function*() {
      const [ea, eb, ec] = yield* apart(b, yield* Memory.make)
      expect([ea, eb, ec]).toEqual([Exit.succeed(21), Exit.succeed(20), Exit.succeed(2)])
    }))

  it.live("an interrupted role tells its peers too", () =>
    Effect.gen(function*() {
      const memory = yield* Memory.make
      const stuck = Role.implement(Chain, "B", { send: { Fwd: () => Effect.never, Answer: (s) => s }, recv: { Ask: (_, x) => x, Back: (_, x) => x } }, 0)
      const fiberA = yield* Effect.fork(Effect.exit(Role.run(Chain, "A", a, { sessionId: "i" })).pipe(Effect.provideService(Transport, memory)))
      const fiberC = yield* Effect.fork(Effect.exit(Role.run(Chain, "C", c, { sessionId: "i" })).pipe(Effect.provideService(Transport, memory)))
      const fiberB = yield* Effect.fork(Role.run(Chain, "B", stuck, { sessionId: "i" }).pipe(Effect.provideService(Transport, memory)))
      yield* Effect.sleep("20 millis")
      yield* Fiber.interrupt(fiberB)
      const ea = yield* Fiber.join(fiberA).pipe(Effect.timeoutFail({ duration: "2 seconds", onTimeout: () => "hung" as const }))
      const ec = yield* Fiber.join(fiberC).pipe(Effect.timeoutFail({ duration: "2 seconds", onTimeout: () => "hung" as const }))
      expect(failureOf(ea)).toMatchObject({ _tag: "PeerFailed", peer: "B", reason: "interrupted", retryable: false })
      expect(failureOf(ec)).toMatchObject({ _tag: "PeerFailed", peer: "B", reason: "interrupted" })
    }))

  it.live("a peer that failed with a retryable error makes a retryable PeerFailed", () =>
    Effect.gen(function*() {
      // B waits 50 ms at most for C's Back, which C (delayed by its handler) sends too late.
      const slowC = Role.implement(Chain, "C", { send: { Back: () => Effect.as(Effect.sleep("300 millis"), 0) }, recv: { Fwd: (_, x) => x } }, 0)
      const memory = yield* Memory.make
      const [ea, eb] = yield* Effect.all([
        Effect.exit(Role.run(Chain, "A", a, { sessionId: "t" })),
        Effect.exit(Role.run(Chain, "B", b, { sessionId: "t", receiveTimeout: "50 millis" })),
        Effect.exit(Role.run(Chain, "C", slowC, { sessionId: "t" }))
      ], { concurrency: "unbounded" }).pipe(Effect.provideService(Transport, memory))
      expect(failureOf(eb)).toMatchObject({ _tag: "Timeout", role: "B" })
      const fa = failureOf(ea)
      expect(fa).toMatchObject({ _tag: "PeerFailed", peer: "B", reason: "Timeout", retryable: true })
      expect(isRetryable(fa)).toBe(true)
    }))

  it.effect("on the simulator, under chaos, over the reliable layer: the notice arrives and nobody hangs", () =>
    Effect.gen(function*() {
      for (let seed = 0; seed < 20; seed++) {
        const sim = yield* simulateEffect(
          Effect.all([
            Effect.exit(Role.run(Chain, "A", a, { sessionId: "sim" })),
            Effect.exit(Role.run(Chain, "B", refusing, { sessionId: "sim" })),
            Effect.exit(Role.run(Chain, "C", c, { sessionId: "sim" }))
          ], { concurrency: "unbounded" }),
          { seed, chaos: { drop: 0.3, duplicate: 0.1 }, reliable: true }
        )
        expect(Exit.isSuccess(sim.exit)).toBe(true)
        const [ea, , ec] = Exit.isSuccess(sim.exit) ? sim.exit.value : []
        expect(ea && failureOf(ea)).toMatchObject({ _tag: "PeerFailed", peer: "B", reason: "Refused" })
        expect(ec && failureOf(ec)).toMatchObject({ _tag: "PeerFailed", peer: "B", reason: "Refused" })
        expect(sim.trace.filter((e) => e._tag === "Failed").map((e) => e.peer).sort()).toEqual(["A", "C"])
        expect(sim.trace.filter((e) => e._tag === "PeerFailed").map((e) => e.role).sort()).toEqual(["A", "C"])
      }
    }))

  it.live("inside a parallel branch, the notice comes on the branch's lane", () =>
    Effect.gen(function*() {
      const Par = Protocol.make("Par", { roles: ["A", "B"], messages: { X: N, Y: N, Z: N } }, (g) =>
        g.parallel((p) => p.msg("A", "B", "X").msg("B", "A", "Y"), (p) => p.msg("A", "B", "Z")))
      const pa = Role.implement(Par, "A", { send: { X: () => 1, Z: () => 2 }, recv: { Y: (_, y) => y } }, 0)
      const pb = Role.implement(Par, "B", { send: { Y: () => Effect.fail(new Refused({ message: "no" })) }, recv: {} }, 0)
      const memory = yield* Memory.make
      const [ea] = yield* Effect.all([
        Effect.exit(Role.run(Par, "A", pa, { sessionId: "p" })),
        Effect.exit(Role.run(Par, "B", pb, { sessionId: "p" }))
      ], { concurrency: "unbounded" }).pipe(
        Effect.provideService(Transport, memory),
        Effect.timeoutFail({ duration: "2 seconds", onTimeout: () => "hung" as const })
      )
      expect(failureOf(ea)).toMatchObject({ _tag: "PeerFailed", role: "A", peer: "B", reason: "Refused" })
      expect(failureOf(ea)?.message).toContain("lane 0.0#0")
    }))

  it.live("a notice is checked like any frame: from an unknown role it is dropped before the role sees it; with a bad payload it still fails the role", () =>
    Effect.gen(function*() {
      const P = Protocol.make("P", { roles: ["A", "B"], messages: { M: N } }, (g) => g.msg("A", "B", "M"))
      const memory = yield* Memory.make
      const waitB = (sessionId: string, forge: Record<string, unknown>) =>
        Effect.gen(function*() {
          const fiber = yield* Effect.fork(Role.run(P, "B", Role.implement(P, "B", {}, 0), { sessionId }).pipe(Effect.provideService(Transport, memory)))
          yield* Effect.sleep("10 millis")
          const delivered = memory.inject({ session: sessionId, to: "B", label: "~failed", site: "", loops: {}, seq: 0, ...forge })
          if (!delivered) {
            // Dropped at the transport: the role waits on, untouched.
            yield* Effect.sleep("20 millis")
            expect(fiber.unsafePoll()).toBe(null)
            yield* Fiber.interrupt(fiber)
            return undefined
          }
          return yield* Effect.flip(Fiber.join(fiber))
        })
      const dropped = memory.stats().dropped
      const forged = yield* waitB("u1", { from: "Mallory", payload: { reason: "x", cause: "y", retryable: true } })
      expect(forged).toBe(undefined)
      expect(memory.stats().dropped).toBe(dropped + 1)
      const garbled = yield* waitB("u2", { from: "A", payload: { reason: 42 } })
      expect(garbled).toMatchObject({ _tag: "PeerFailed", peer: "A", reason: "unknown", retryable: false })
    }))

  it.live("the failure and its notice are in the trace", () =>
    Effect.gen(function*() {
      const recorder = TraceSink.unsafeMakeRecorder()
      yield* apart(refusing, yield* Memory.make, "traced").pipe(Effect.provideService(TraceSink.TraceSink, recorder))
      const events = recorder.events().filter((e) => e._tag === "Failed" || e._tag === "PeerFailed")
      expect(events.map((e) => `${e._tag} ${e.role} ${e.peer} ${e.reason}`).sort()).toEqual([
        "Failed B A Refused",
        "Failed B C Refused",
        "PeerFailed A B Refused",
        "PeerFailed C B Refused"
      ])
    }))

  it.effect("over the reliable layer in memory, the notices are acknowledged like any frame", () =>
    Effect.scoped(Effect.gen(function*() {
      const memory = yield* Memory.make
      const reliable = yield* Reliable.wrap(memory, { linger: Duration.millis(1) })
      const [ea, , ec] = yield* apart(refusing, reliable, "rel")
      expect(failureOf(ea)).toMatchObject({ _tag: "PeerFailed", peer: "B" })
      expect(failureOf(ec)).toMatchObject({ _tag: "PeerFailed", peer: "B" })
    })).pipe(Effect.timeoutFail({ duration: "3 seconds", onTimeout: () => "hung" as const })))
})
