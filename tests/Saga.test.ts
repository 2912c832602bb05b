/**
 * `saga(owner, name, forward, compensate)`: a failure anywhere in the forward part switches
 * every role of the saga to the compensation, decided by the owner; each role compensates
 * with the state its forward part left, so nothing stays reserved or allocated. The seed's
 * CompensatingTransaction, with a failure injected at every step of the forward part.
 */
import { it } from "@effect/vitest"
import { Effect, Either, Exit, Fiber, Schema, TestClock } from "effect"
import { describe, expect } from "vitest"
import { Memory, Protocol, Role, Session, TraceSink, Transport } from "../src/index.js"
import { simulate, Trace } from "../src/testing/index.js"
import * as CT from "../examples/compensating-transaction.js"

const P = CT.CompensatingTransaction
const roles = (failAt?: CT.Step) => ({ Coordinator: CT.coordinator("r-42", failAt), ServiceA: CT.serviceA(failAt), ServiceB: CT.serviceB(failAt) })

/** Whether the services ended holding nothing. */
const nothingHeld = (r: { readonly ServiceA: CT.Service; readonly ServiceB: CT.Service }) =>
  r.ServiceA.holds === undefined && r.ServiceB.holds === undefined && !r.ServiceA.committed && !r.ServiceB.committed

describe("CompensatingTransaction", () => {
  it.effect("a run without failure commits both services and releases nothing", () =>
    Effect.gen(function*() {
      const r = yield* CT.main()
      expect(r.ServiceA).toEqual({ holds: "r-42", committed: true, log: ["reserved r-42", "committed"] })
      expect(r.ServiceB).toEqual({ holds: "r-42", committed: true, log: ["allocated r-42", "committed"] })
      expect(r.Coordinator).toEqual(["reserved", "allocated"])
    }))

  it.effect.each(CT.forwardSteps)("a failure at %s: every role compensates, and nothing stays reserved or allocated", (failAt) =>
    Effect.gen(function*() {
      const [r, events] = yield* TraceSink.recording(CT.main(failAt))
      expect(nothingHeld(r)).toBe(true)
      expect(r.Coordinator.at(-1)).toBe("compensating")
      // A service releases exactly what it took: its log ends with the release of what it held, or says it held nothing.
      for (const s of [r.ServiceA, r.ServiceB]) {
        const took = s.log.some((l) => l.startsWith("reserved") || l.startsWith("allocated"))
        expect(s.log.at(-1)).toBe(took ? (s === r.ServiceA ? "released reservation r-42" : "released allocation r-42") : "nothing to release")
      }
      // The compensation's steps run in the reverse order of the forward part's.
      const sent = events.filter((e) => e._tag === "Send" && e.role === "Coordinator").map((e) => e.label)
      expect(sent.slice(-2)).toEqual(["ReleaseAllocation", "ReleaseReservation"])
      expect(events.filter((e) => e._tag === "Choice" && e.role === "Coordinator")).toMatchObject([{ label: "transaction", branch: "compensated" }])
      expect(Trace.validate(P, events)).toEqual(Either.right(undefined))
    }))

  it.effect("on the simulator, under chaos over the reliable layer, every failure point, 10 seeds each: the same outcome, valid traces", () =>
    Effect.gen(function*() {
      for (const failAt of [undefined, ...CT.forwardSteps]) {
        for (let seed = 0; seed < 10; seed++) {
          const sim = yield* simulate(P, roles(failAt), { seed, chaos: { drop: 0.2, duplicate: 0.1, reorder: 0.2 }, reliable: true })
          expect(Exit.isSuccess(sim.exit)).toBe(true)
          const r = Exit.isSuccess(sim.exit) ? sim.exit.value : undefined
          if (failAt === undefined) expect(r?.ServiceA.committed && r?.ServiceB.committed).toBe(true)
          else expect(r !== undefined && nothingHeld(r)).toBe(true)
          expect(Trace.validate(P, sim.trace)).toEqual(Either.right(undefined))
        }
      }
    }))

  it.effect("a timeout inside the forward part triggers compensation: ServiceB never confirms, the Coordinator waits 1 s", () =>
    Effect.gen(function*() {
      const stuck = Role.implement(P, "ServiceB", {
        recv: {
          AllocateResource: (s, r) => ({ ...s, holds: r.resourceId, log: [...s.log, `allocated ${r.resourceId}`] }),
          CommitAllocation: (s) => ({ ...s, committed: true }),
          ReleaseAllocation: (s) => ({ holds: undefined, committed: false, log: [...s.log, `released allocation ${s.holds}`] })
        },
        send: { AllocationConfirmed: () => Effect.never }
      }, { holds: undefined, committed: false, log: [] } as CT.Service)
      const fiber = yield* Effect.fork(Session.run(P, { ...roles(), ServiceB: stuck }, { receiveTimeout: "1 second" }))
      yield* TestClock.adjust("5 seconds")
      const r = yield* Fiber.join(fiber)
      expect(nothingHeld(r)).toBe(true)
      expect(r.ServiceB.log).toEqual(["allocated r-42", "released allocation r-42"])
    }))

  it.effect("roles run apart: a service that crashes in the forward part is a failure notice, and the others compensate", () =>
    Effect.gen(function*() {
      const memory = yield* Memory.make
      const crashing = Role.implement(P, "ServiceB", {
        recv: { AllocateResource: () => Effect.die("ServiceB lost its disk"), CommitAllocation: (s) => s, ReleaseAllocation: (s) => s },
        send: { AllocationConfirmed: () => ({}) }
      }, { holds: undefined, committed: false, log: [] } as CT.Service)
      const options = { sessionId: "apart" }
      const [c, a, b] = yield* Effect.all([
        Effect.exit(Role.run(P, "Coordinator", CT.coordinator("r-7"), options)),
        Effect.exit(Role.run(P, "ServiceA", CT.serviceA(), options)),
        Effect.exit(Role.run(P, "ServiceB", crashing, options))
      ], { concurrency: "unbounded" }).pipe(Effect.provideService(Transport, memory), Effect.timeoutFail({ duration: "3 seconds", onTimeout: () => "hung" as const }))
      expect(Exit.isFailure(b)).toBe(true)
      expect(c).toEqual(Exit.succeed(["reserved", "compensating"]))
      expect(Exit.isSuccess(a) && a.value).toEqual({ holds: undefined, committed: false, log: ["reserved r-7", "released reservation r-7"] })
    }).pipe(Effect.provide(TestClock.defaultTestClock)))
})

describe("sagas by hand, and their local types", () => {
  const Small = Protocol.make("Small", { roles: ["A", "B"], messages: { Do: Schema.Number, Done: Schema.Number, Undo: Schema.Number } }, (g) =>
    g.saga("A", "s", (f) => f.msg("A", "B", "Do").msg("B", "A", "Done"), (c) => c.msg("A", "B", "Undo")))

  it.effect("saga() says whether it committed or compensated, with the result of the part that ended it", () =>
    Effect.gen(function*() {
      const a = Role.program(Small, "A", (ch) =>
        Effect.gen(function*() {
          const s = yield* ch.saga(
            (f) => Effect.flatMap(f.send("B", "Do", 1), (c) => Effect.flatMap(c.recv("B", "Done"), ([d, end]) => end.close(d))),
            (c) => Effect.flatMap(c.send("B", "Undo", 1), (end) => end.close(-1))
          )
          return yield* s.next.close(`${s.label} ${s.result}`)
        }))
      const b = (ok: boolean) =>
        Role.implement(Small, "B", { send: { Done: () => (ok ? Effect.succeed(7) : Effect.fail("no" as const)) }, recv: { Undo: (s) => s + 100 } }, 0)
      expect((yield* Session.run(Small, { A: a, B: b(true) })).A).toBe("committed 7")
      expect(yield* Session.run(Small, { A: a, B: b(false) })).toEqual({ A: "compensated -1", B: 100 })
    }))

  it("the local types show the saga, and Trace.validate rejects a saga trace that lies", () => {
    expect(Protocol.formatLocal(Protocol.project(Small, "B"))).toBe(
      "Saga(s by A){ forward: Recv(A, Do).Send(A, Done).End, compensate: Recv(A, Undo).End }.End"
    )
    expect(Protocol.formatLocal(Protocol.project(P, "ServiceA"))).toBe(
      "Saga(transaction by Coordinator){ forward: Recv(Coordinator, ReserveResource).Send(Coordinator, ReservationConfirmed).Recv(Coordinator, CommitReservation).End, compensate: Recv(Coordinator, ReleaseReservation).End }.End"
    )
  })

  it.effect("Trace.validate rejects tampered saga traces", () =>
    Effect.gen(function*() {
      const [, failed] = yield* TraceSink.recording(CT.main("ServiceB.send.AllocationConfirmed"))
      const [, committed] = yield* TraceSink.recording(CT.main())
      expect(Either.isRight(Trace.validate(P, failed))).toBe(true)
      expect(Either.isRight(Trace.validate(P, committed))).toBe(true)
      const verdict = (t: typeof failed) => t.findIndex((e) => e._tag === "Choice" && e.role === "Coordinator")
      // "committed" where the forward part did not end: refused.
      const lie = failed.map((e, i) => (i === verdict(failed) ? { ...e, branch: "committed" } : e))
      expect(Either.isLeft(Trace.validate(P, lie))).toBe(true)
      // "compensated" in a run whose compensation never ran: the releases are missing.
      const cry = committed.map((e, i) => (i === verdict(committed) ? { ...e, branch: "compensated" } : e))
      expect(Either.isLeft(Trace.validate(P, cry))).toBe(true)
      // Without the owner's verdict.
      expect(Either.isLeft(Trace.validate(P, failed.filter((_, i) => i !== verdict(failed))))).toBe(true)
    }))

  it("a saga's parts cannot end the protocol", () => {
    const made = Protocol.makeEither("E", { roles: ["A", "B"], messages: { M: Schema.Number } }, (g: any) =>
      g.saga("A", "s", (f: any) => f.msg("A", "B", "M").end(), (c: any) => c))
    expect(Either.isLeft(made) && made.left.rule).toBe("EndInSaga")
  })
})



describe("found by review", () => {
  const N = Schema.Number

  it.live("a role of the saga that dies: the owner compensates, and a compensation that waits on the dead role fails with PeerFailed, not for ever", () =>
    Effect.gen(function*() {
      const Die = Protocol.make("SagaDie", { roles: ["O", "X"], messages: { A: N, UA: N, Done: N } }, (g) =>
        g.saga("O", "s", (f) => f.msg("O", "X", "A"), (c) => c.msg("X", "O", "UA")).msg("O", "X", "Done"))
      const o = Role.implement(Die, "O", { send: { A: () => 1, Done: () => 3 }, recv: { UA: (s) => s + 1 } }, 0)
      const x = Role.implement(Die, "X", { recv: { A: () => Effect.die("boom") }, send: { UA: () => 2 } }, 0)
      const memory = yield* Memory.make
      const [eo, ex] = yield* Effect.all([
        Effect.exit(Role.run(Die, "O", o, { sessionId: "d" })),
        Effect.exit(Role.run(Die, "X", x, { sessionId: "d" }))
      ], { concurrency: "unbounded" }).pipe(Effect.provideService(Transport, memory), Effect.timeoutFail({ duration: "2 seconds", onTimeout: () => "hung" as const }))
      expect(Exit.isFailure(ex)).toBe(true)
      expect(Exit.isFailure(eo) && eo.cause._tag === "Fail" && eo.cause.error).toMatchObject({ _tag: "PeerFailed", role: "O", peer: "X", reason: "defect", site: "0.compensate.0" })
      expect(memory.stats()).toMatchObject({ sessions: 0, frames: 0 })
    }))

  it.effect("an owner waiting in vain for a report times out with its receive timeout, and compensates", () =>
    Effect.gen(function*() {
      const Alone = Protocol.make("Alone", { roles: ["O", "X"], messages: { A: N, B: N, Undo: N } }, (g) =>
        g.saga("O", "s", (f) => f.msg("O", "X", "A").msg("X", "O", "B"), (c) => c.msg("O", "X", "Undo")))
      const o = Role.implement(Alone, "O", { send: { A: () => 1, Undo: () => 0 }, recv: { B: (s) => s + 1 }, onCompensate: { s: (s) => s - 100 } }, 0)
      // X never runs: nobody reports.
      const fiber = yield* Effect.fork(Role.run(Alone, "O", o, { sessionId: "alone", receiveTimeout: "200 millis" }).pipe(Effect.provideService(Transport, yield* Memory.make)))
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(fiber)).toBe(-100)
    }))
})

describe("a timeout whose verdict came early behind another frame", () => {
  it.live("the verdict is found among the early frames; the forged frame ahead of it is a ProtocolViolation at the end, not a hang", () =>
    Effect.gen(function*() {
      const N = Schema.Number
      const P2 = Protocol.make("T", { roles: ["D", "X", "Y"], messages: { Go: N, Ping: N, Pong: N, Sorry: N } }, (g) =>
        g.msg("Y", "X", "Go").timeout("D", "t", "100 millis", (b) => b.msg("X", "D", "Ping").msg("D", "X", "Pong"), (f) => f.msg("D", "X", "Sorry")))
      const d = Role.implement(P2, "D", { recv: { Ping: (s) => s }, send: { Pong: () => 1, Sorry: () => 2 }, onTimeout: { t: (s) => s } }, 0)
      const x = Role.implement(P2, "X", { recv: { Go: (s) => s, Pong: (s) => s, Sorry: (s) => s + 10 }, send: { Ping: () => 0 } }, 0)
      const y = Role.implement(P2, "Y", { send: { Go: () => Effect.as(Effect.sleep("300 millis"), 1) } }, 0)
      const memory = yield* Memory.make
      const run = <R extends "D" | "X" | "Y">(role: R, impl: Role.Implementation<typeof P2, R, number>) =>
        Effect.fork(Effect.exit(Role.run(P2, role, impl, { sessionId: "s" })).pipe(Effect.provideService(Transport, memory)))
      const fx = yield* run("X", x)
      yield* run("Y", y)
      const fd = yield* run("D", d)
      yield* Effect.sleep("50 millis")
      expect(memory.inject({ session: "s", from: "D", to: "X", label: "Junk", site: "9", loops: {}, seq: 7, payload: null })).toBe(true)
      expect(Exit.isSuccess(yield* Fiber.join(fd))).toBe(true)
      const ex = yield* Fiber.join(fx).pipe(Effect.timeoutFail({ duration: "3 seconds", onTimeout: () => "hung" as const }))
      expect(Exit.isFailure(ex) && ex.cause._tag === "Fail" && ex.cause.error).toMatchObject({ _tag: "ProtocolViolation", role: "X" })
    }))
})
