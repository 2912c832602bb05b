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


