/**
 * Retry with backoff: `Session.retry` and `Role.retry` run a fresh session per attempt, on an
 * Effect `Schedule`, retrying retryable errors only; exhaustion is `MaxRetriesExceeded`.
 * Times are `TestClock` times, so the delays are exact.
 */
import { it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import { describe, expect } from "vitest"
import { MaxRetriesExceeded, Role, Session, Transport, type TransportService } from "../src/index.js"
import { backoff, flaky, main as robustCoordinator } from "../examples/robust-coordinator.js"
import * as TwoPhaseCommit from "../examples/two-phase-commit.js"

const P = TwoPhaseCommit.TwoPhaseCommit


const roles = { Coordinator: TwoPhaseCommit.coordinator(9), Participant: TwoPhaseCommit.participant("commit") }

describe("Session.retry", () => {
  it.effect("retries a retryable failure after 100 ms, then 200 ms, each attempt a fresh session", () =>
    Effect.gen(function*() {
      const { attempts, transport } = yield* flaky((s) => !s.endsWith("#3"))
      const fiber = yield* Effect.fork(Session.retry(P, roles, { schedule: backoff, sessionId: "tx" }).pipe(Effect.provideService(Transport, transport)))
      yield* TestClock.adjust("1 second")
      const results = yield* Fiber.join(fiber)
      expect(results.Coordinator.outcome).toBe("committed")
      expect(attempts).toEqual([{ session: "tx#1", at: 0 }, { session: "tx#2", at: 100 }, { session: "tx#3", at: 300 }])
    }))

  it.effect("fails with MaxRetriesExceeded after 3 attempts, with the last error", () =>
    Effect.gen(function*() {
      const { attempts, transport } = yield* flaky(() => true)
      const fiber = yield* Effect.fork(Effect.flip(Session.retry(P, roles, { schedule: backoff, sessionId: "tx" }).pipe(Effect.provideService(Transport, transport))))
      yield* TestClock.adjust("1 second")
      const e = yield* Fiber.join(fiber)
      expect(e).toBeInstanceOf(MaxRetriesExceeded)
      expect(e).toMatchObject({ attempts: 3, last: { _tag: "TransportError", message: "link down in tx#3" } })
      expect(e.message).toBe("Session TwoPhaseCommit (tx) failed 3 times; the schedule allows no more attempts. Last: TransportError: link down in tx#3")
      expect(attempts.map((a) => a.at)).toEqual([0, 100, 300])
    }))

  it.effect("does not retry a permanent error, nor a handler's own error unless told to", () =>
    Effect.gen(function*() {
      const { attempts, transport } = yield* flaky(() => false)
      let calls = 0
      const refusing = TwoPhaseCommit.coordinator(9)
      const picky = Role.implement(P, "Participant", {
        send: { PrepareResponse: () => (++calls < 3 ? Effect.fail("busy" as const) : Effect.succeed({ vote: "commit" as const })), CommitAck: () => ({}), AbortAck: () => ({}) },
        recv: {}
      }, 0)
      const once = yield* Effect.flip(Session.retry(P, { Coordinator: refusing, Participant: picky }, { schedule: backoff, sessionId: "h" }).pipe(
        Effect.provideService(Transport, transport)
      ))
      expect(once).toBe("busy")
      expect(attempts.filter((a) => a.session.startsWith("h#")).map((a) => a.session)).toEqual(["h#1"])
      const fiber = yield* Effect.fork(Session.retry(P, { Coordinator: refusing, Participant: picky }, { schedule: backoff, sessionId: "w", while: (e) => e === "busy" }).pipe(
        Effect.provideService(Transport, transport)
      ))
      yield* TestClock.adjust("1 second")
      expect((yield* Fiber.join(fiber)).Participant).toBe(0)
      expect(attempts.filter((a) => a.session.startsWith("w#")).map((a) => a.at)).toEqual([0, 100])
    }))

  it.effect("a protocol violation is not retried", () =>
    Effect.gen(function*() {
      const { transport } = yield* flaky(() => false)
      let sessions = 0
      const lying: TransportService = {
        ...transport,
        send: (e) => Effect.suspend(() => (e.seq === 0 && e.from === "Coordinator" && sessions++, transport.send({ ...e, site: "9" })))
      }
      const e = yield* Effect.flip(Session.retry(P, roles, { schedule: backoff }).pipe(Effect.provideService(Transport, lying)))
      expect(e._tag).toBe("ProtocolViolation")
      expect(sessions).toBe(1)
    }))
})

describe("examples/robust-coordinator.ts", () => {
  it.effect("two lost attempts, then a commit at exactly 0, 100 and 300 ms; three lost attempts are MaxRetriesExceeded", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.all([robustCoordinator(2), robustCoordinator(3)]))
      yield* TestClock.adjust("1 second")
      const [two, three] = yield* Fiber.join(fiber)
      expect(two).toEqual({ outcome: "committed", attempts: [{ session: "tx-7#1", after: 0 }, { session: "tx-7#2", after: 100 }, { session: "tx-7#3", after: 300 }] })
      expect(three.outcome).toBe("MaxRetriesExceeded: Session TwoPhaseCommit (tx-7) failed 3 times; the schedule allows no more attempts. Last: TransportError: link down in tx-7#3")
      expect(three.attempts.map((a) => a.after)).toEqual([0, 100, 300])
    }))
})

describe("Role.retry", () => {
  it.effect("roles run apart retry together: a failure's notice is retryable, and attempt 2 of both meets", () =>
    Effect.gen(function*() {
      // In attempt 1 the Coordinator's data frames are lost; its failure notice still gets through.
      const { attempts, transport } = yield* flaky((s, e) => s === "apart#1" && e.label !== "~failed")
      const options = { schedule: backoff, sessionId: "apart" }
      const fiber = yield* Effect.fork(Effect.all([
        Role.retry(P, "Coordinator", roles.Coordinator, options),
        Role.retry(P, "Participant", roles.Participant, options)
      ], { concurrency: "unbounded" }).pipe(Effect.provideService(Transport, transport)))
      yield* TestClock.adjust("1 second")
      const [coordinator, participant] = yield* Fiber.join(fiber)
      expect(coordinator.outcome).toBe("committed")
      expect(participant).toEqual({ transactionId: 9, applied: "committed" })
      expect(attempts).toEqual([{ session: "apart#1", at: 0 }, { session: "apart#2", at: 100 }])
    }))
})

describe("Role.retry when nothing gets through", () => {
  it.effect("the role that waits in vain times out (retryable), and both meet in the next attempt", () =>
    Effect.gen(function*() {
      const { attempts, transport } = yield* flaky((s) => s === "down#1")
      const fiber = yield* Effect.fork(Effect.all([
        Role.retry(P, "Coordinator", roles.Coordinator, { schedule: backoff, sessionId: "down" }),
        Role.retry(P, "Participant", roles.Participant, { schedule: backoff, sessionId: "down", receiveTimeout: "50 millis" })
      ], { concurrency: "unbounded" }).pipe(Effect.provideService(Transport, transport)))
      yield* TestClock.adjust("1 second")
      const [coordinator, participant] = yield* Fiber.join(fiber)
      expect(coordinator.outcome).toBe("committed")
      expect(participant.applied).toBe("committed")
      // The Coordinator starts attempt 2 at 100 ms; the Participant, which timed out at 50 ms, joins it at 150 ms.
      expect(attempts).toEqual([{ session: "down#1", at: 0 }, { session: "down#2", at: 100 }])
    }))
})
