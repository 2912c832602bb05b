/**
 * `timeout(at, name, duration, body, fallback)`: the deciding role races its part of the body
 * against the Clock; out of time, every role in the timeout goes on with the fallback, and
 * frames of the abandoned body are dropped and recorded, never delivered into the fallback.
 * Under `TestClock` and under `simulate` (virtual time), with and without chaos.
 */
import { it } from "@effect/vitest"
import { type Duration, Effect, Either, Exit, Fiber, Schema, TestClock } from "effect"
import { describe, expect } from "vitest"
import { Memory, Protocol, Role, Session, TraceSink, Transport, type TransportService } from "../src/index.js"
import { simulate, Trace } from "../src/testing/index.js"
import * as RR from "../examples/robust-request.js"
import { Cancellable, PollWithBackup } from "./fixtures/protocols.js"

const N = Schema.Number

/** Runs `effect` under TestClock, moving the clock `by` at once. */
const after = <A, E>(by: Duration.DurationInput, effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    yield* TestClock.adjust(by)
    return yield* Fiber.join(fiber)
  })

/** The in-memory transport, with each Response delivered `ms` after it is sent (by the Clock). */
const slowResponses = (ms: number) =>
  Effect.map(Memory.make, (memory): TransportService => ({
    ...memory,
    send: (e) => (e.label === "Response" ? Effect.asVoid(Effect.forkDaemon(Effect.zipRight(Effect.sleep(ms), memory.send(e)))) : memory.send(e))
  }))

describe("RobustRequest under TestClock", () => {
  it.effect("the server answers in time: the client has the result", () =>
    Effect.gen(function*() {
      const r = yield* after("1 minute", RR.main(Effect.sleep("10 seconds")))
      expect(r).toEqual({ Client: { data: "hello", result: "HELLO", timedOut: false }, Server: "hello" })
    }))

  it.effect("the server answers late: the client took the fallback, the Response is dropped and recorded", () =>
    Effect.gen(function*() {
      const recorder = TraceSink.unsafeMakeRecorder()
      const transport = yield* Effect.provideService(slowResponses(5_000), TraceSink.TraceSink, recorder)
      const r = yield* after("1 minute", RR.main(Effect.sleep("28 seconds")).pipe(
        Effect.provideService(Transport, transport),
        Effect.provideService(TraceSink.TraceSink, recorder)
      ))
      // The Server sent at 28 s (in its body still), the frame arrived at 33 s: after the Client's 30 s.
      expect(r).toEqual({ Client: { data: "hello", result: undefined, timedOut: true }, Server: "hello" })
      const events = recorder.events()
      expect(events.filter((e) => e._tag === "Choice")).toMatchObject([{ role: "Client", label: "response", branch: "timeout", site: "1" }])
      // The late Response is dropped (the Client had ended), and so is the verdict the Server had no use for any more.
      expect(events.filter((e) => e._tag === "Drop").map((e) => `${e.role} -> ${e.peer}: ${e.label} (${e.reason})`).sort()).toEqual([
        "Client -> Server: ~timeout (closed)",
        "Server -> Client: Response (closed)"
      ])
      expect(events.some((e) => e._tag === "Receive" && e.label === "Response")).toBe(false)
    }))

  it.effect("the server never answers: the client takes the fallback at 30 s, and the server leaves its body", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(RR.main(Effect.never))
      yield* TestClock.adjust("29 seconds")
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(fiber)).toEqual({ Client: { data: "hello", result: undefined, timedOut: true }, Server: "hello" })
    }))
})

describe("RobustRequest under simulate (virtual time)", () => {
  const roles = (work: Effect.Effect<void>) => ({ Client: RR.client("hi"), Server: RR.server(work) })

  it.effect("in time, late and never; the traces fit the protocol", () =>
    Effect.gen(function*() {
      const inTime = yield* simulate(RR.RobustRequest, roles(Effect.sleep("10 seconds")), { seed: 1 })
      expect(Exit.isSuccess(inTime.exit) && inTime.exit.value.Client).toEqual({ data: "hi", result: "HI", timedOut: false })
      expect(inTime.time).toBe(10_000)
      // Every frame takes 1 s: the Request comes at 1 s, the Response leaves at 30 s and arrives at 31 s.
      const late = yield* simulate(RR.RobustRequest, roles(Effect.sleep("29 seconds")), {
        seed: 1,
        chaos: { delay: { min: "1 second", max: "1 second" } }
      })
      expect(Exit.isSuccess(late.exit) && late.exit.value.Client).toEqual({ data: "hi", result: undefined, timedOut: true })
      expect(late.trace.filter((e) => e._tag === "Choice")).toMatchObject([{ role: "Client", branch: "timeout" }])
      const never = yield* simulate(RR.RobustRequest, roles(Effect.never), { seed: 1 })
      expect(Exit.isSuccess(never.exit) && never.exit.value.Client.timedOut).toBe(true)
      expect(never.time).toBe(30_000)
      for (const sim of [inTime, late, never]) expect(Either.isRight(Trace.validate(RR.RobustRequest, sim.trace))).toBe(true)
    }))

  it.effect("under chaos over the reliable layer, 50 seeds: the outcome is the fault-free one or the fallback, never a hang", () =>
    Effect.gen(function*() {
      for (let seed = 0; seed < 50; seed++) {
        const sim = yield* simulate(RR.RobustRequest, roles(Effect.sleep("1 second")), {
          seed,
          chaos: { drop: 0.3, duplicate: 0.1, delay: { min: "0 millis", max: "2 seconds" } },
          reliable: true
        })
        expect(Exit.isSuccess(sim.exit)).toBe(true)
        const client = Exit.isSuccess(sim.exit) ? sim.exit.value.Client : undefined
        expect([{ data: "hi", result: "HI", timedOut: false }, { data: "hi", result: undefined, timedOut: true }]).toContainEqual(client)
      }
    }))
})

/** A request whose fallback has messages: on timeout the Client cancels, and the Server must know. */
const cancellable = (work: Effect.Effect<void>) => ({
  Client: Role.implement(Cancellable, "Client", {
    send: { Request: () => 1, Cancel: () => 99 },
    recv: { Response: (s, r) => [...s, `response ${r}`], Bye: (s, b) => [...s, `bye ${b}`] },
    onTimeout: { reply: (s) => [...s, "timed out"] }
  }, [] as ReadonlyArray<string>),
  Server: Role.implement(Cancellable, "Server", {
    send: { Response: () => Effect.as(work, 2), Bye: (s) => s.length },
    recv: { Request: (s) => [...s, "request"], Cancel: (s, c) => [...s, `cancel ${c}`] },
    onTimeout: { reply: (s) => [...s, "told"] }
  }, [] as ReadonlyArray<string>)
})

describe("a fallback with messages", () => {
  it.effect("in time: the Server waits for the verdict, then goes on; out of time it is told and runs the fallback", () =>
    Effect.gen(function*() {
      const fast = yield* after("1 minute", Session.run(Cancellable, cancellable(Effect.sleep("1 second"))))
      expect(fast).toEqual({ Client: ["response 2", "bye 1"], Server: ["request"] })
      const slow = yield* after("1 minute", Session.run(Cancellable, cancellable(Effect.sleep("10 seconds"))))
      expect(slow).toEqual({ Client: ["timed out", "bye 3"], Server: ["request", "told", "cancel 99"] })
    }))

  it.effect("the same on the simulator, with the traces valid, for 30 seeds each", () =>
    Effect.gen(function*() {
      for (let seed = 0; seed < 30; seed++) {
        for (const [work, client] of [["1 second", ["response 2", "bye 1"]], ["10 seconds", ["timed out", "bye 3"]]] as const) {
          const sim = yield* simulate(Cancellable, cancellable(Effect.sleep(work)), { seed })
          expect(Exit.isSuccess(sim.exit) && sim.exit.value.Client).toEqual(client)
          expect(Trace.validate(Cancellable, sim.trace)).toEqual(Either.right(undefined))
        }
      }
    }))
})

describe("Trace.validate with timeouts", () => {
  it.effect("accepts the traces of both outcomes and rejects tampered ones", () =>
    Effect.gen(function*() {
      const slow = yield* simulate(Cancellable, cancellable(Effect.sleep("10 seconds")), { seed: 3 })
      const fast = yield* simulate(Cancellable, cancellable(Effect.sleep("1 second")), { seed: 3 })
      const roleEvents = (t: typeof slow.trace) => t.filter((e) => ["Send", "Receive", "Choice", "Round"].includes(e._tag))
      expect(Either.isRight(Trace.validate(Cancellable, slow.trace))).toBe(true)
      expect(Either.isRight(Trace.validate(Cancellable, fast.trace))).toBe(true)
      const verdict = (t: typeof slow.trace) => t.findIndex((e) => e._tag === "Choice")
      // Without the deciding role's verdict, the fallback has no lane to run on.
      const noVerdict = slow.trace.filter((_, i) => i !== verdict(slow.trace))
      expect(Either.isLeft(Trace.validate(Cancellable, noVerdict))).toBe(true)
      // "in time" where the Client never got the Response.
      const liar = slow.trace.map((e, i) => (i === verdict(slow.trace) ? { ...e, branch: "intime" } : e))
      const lied = Trace.validate(Cancellable, liar)
      expect(Either.isLeft(lied) && lied.left.message).toContain("in time before its part of the body ended")
      // "timed out" in a run where the Response came: the Cancel in the fallback never happened.
      const cried = Trace.validate(Cancellable, fast.trace.map((e, i) => (i === verdict(fast.trace) ? { ...e, branch: "timeout" } : e)))
      expect(Either.isLeft(cried)).toBe(true)
      // A fallback event moved before the verdict.
      const events = roleEvents(slow.trace)
      const cancel = events.findIndex((e) => e._tag === "Send" && e.label === "Cancel")
      const early = [...events.slice(0, verdict(events)), events[cancel], ...events.slice(verdict(events)).filter((_, i) => i + verdict(events) !== cancel)]
      expect(Either.isLeft(Trace.validate(Cancellable, early))).toBe(true)
    }))
})

describe("timeouts in a loop, by hand, and apart", () => {
  const Polls = Protocol.make("Polls", { roles: ["A", "B"], messages: { Ask: N, Tell: N, More: N, Stop: N } }, (g) =>
    g.loop("poll", (l) =>
      l
        .msg("A", "B", "Ask")
        .timeout("A", "tell", "1 second", (b) => b.msg("B", "A", "Tell"), (f) => f)
        .choice("A", "again", { more: (c) => c.msg("A", "B", "More").recur("poll"), stop: (c) => c.msg("A", "B", "Stop") })))

  it.effect("each round has its own timeout: slow rounds take the fallback, fast ones do not, and nothing of one round reaches another", () =>
    Effect.gen(function*() {
      // B is slow in rounds 1 and 3 (of 0..4).
      const a = Role.implement(Polls, "A", {
        send: { Ask: (s) => s.length, More: () => 0, Stop: () => 0 },
        recv: { Tell: (s, t) => [...s, `tell ${t}`] },
        onTimeout: { tell: (s) => [...s, "late"] },
        choose: { again: (s) => (s.length < 5 ? "more" : "stop") }
      }, [] as ReadonlyArray<string>)
      const b = Role.implement(Polls, "B", {
        send: { Tell: (s) => Effect.as(Effect.sleep(s % 2 === 1 ? "3 seconds" : "10 millis"), s) },
        recv: { Ask: (_, n) => n }
      }, 0)
      const r = yield* after("1 minute", Session.run(Polls, { A: a, B: b }))
      expect(r.A).toEqual(["tell 0", "late", "tell 2", "late", "tell 4"])
    }))

  it.effect("a role that acts only in the fallback waits for the verdict of every round; on the simulator too, with valid traces", () =>
    Effect.gen(function*() {
      const roles = {
        A: Role.implement(PollWithBackup, "A", {
          send: { Ask: (s) => s.length, More: () => 0, Stop: () => 0 },
          recv: { Tell: (s, t) => [...s, `tell ${t}`], Backup: (s, b) => [...s, `backup ${b}`] },
          onTimeout: { tell: (s) => s },
          choose: { again: (s) => (s.length < 4 ? "more" : "stop") }
        }, [] as ReadonlyArray<string>),
        B: Role.implement(PollWithBackup, "B", {
          send: { Tell: (s) => Effect.as(Effect.sleep(s === 1 || s === 2 ? "5 seconds" : "10 millis"), s) },
          recv: { Ask: (_, n) => n }
        }, 0),
        C: Role.implement(PollWithBackup, "C", { send: { Backup: (s) => 100 + s }, recv: { More: (s) => s + 1 } }, 0)
      }
      const r = yield* after("1 minute", Session.run(PollWithBackup, roles))
      expect(r.A).toEqual(["tell 0", "backup 101", "backup 102", "tell 3"])
      for (let seed = 0; seed < 20; seed++) {
        const sim = yield* simulate(PollWithBackup, roles, { seed })
        expect(Exit.isSuccess(sim.exit) && sim.exit.value.A).toEqual(["tell 0", "backup 101", "backup 102", "tell 3"])
        expect(Trace.validate(PollWithBackup, sim.trace)).toEqual(Either.right(undefined))
      }
    }))

  it.effect("a hand-written role: timeout() runs the body and the fallback it is given, and says which ended it", () =>
    Effect.gen(function*() {
      const client = Role.program(RR.RobustRequest, "Client", (ch) =>
        Effect.gen(function*() {
          const c1 = yield* ch.send("Server", "Request", { data: "by hand" })
          const t = yield* c1.timeout(
            (b) => Effect.flatMap(b.recv("Server", "Response"), ([r, end]) => end.close(r.result)),
            (f) => f.close("fallback")
          )
          return yield* t.next.close(`${t.label}: ${t.result}`)
        }))
      const fast = yield* after("1 minute", Session.run(RR.RobustRequest, { Client: client, Server: RR.server(Effect.sleep("1 second")) }))
      expect(fast.Client).toBe("intime: BY HAND")
      const slow = yield* after("1 minute", Session.run(RR.RobustRequest, { Client: client, Server: RR.server(Effect.sleep("1 minute")) }))
      expect(slow.Client).toBe("timeout: fallback")
    }))

  it.effect("roles run apart: the decider failing inside the body tells the waiting role", () =>
    Effect.gen(function*() {
      const memory = yield* Memory.make
      const failing = Role.implement(Cancellable, "Client", {
        send: { Request: () => 1, Cancel: () => 99 },
        recv: { Response: () => Effect.fail("client crashed" as const), Bye: (s) => s },
        onTimeout: { reply: (s) => s }
      }, [] as ReadonlyArray<string>)
      const [client, server] = yield* after("1 minute", Effect.all([
        Effect.either(Role.run(Cancellable, "Client", failing, { sessionId: "apart" })),
        Effect.either(Role.run(Cancellable, "Server", cancellable(Effect.void).Server, { sessionId: "apart" }))
      ], { concurrency: "unbounded" }).pipe(Effect.provideService(Transport, memory)))
      expect(client).toEqual(Either.left("client crashed"))
      expect(Either.isLeft(server) && server.left).toMatchObject({ _tag: "PeerFailed", role: "Server", peer: "Client" })
    }))
})

describe("well-formedness of timeouts", () => {
  const make = (body: (g: any) => any) => Protocol.makeEither("T", { roles: ["A", "B"], messages: { M: N, K: N } }, body)
  const rule = (r: ReturnType<typeof make>) => (Either.isLeft(r) ? r.left.rule : "accepted")

  it("the decider must take part in the body; body and fallback cannot end the protocol nor recur out; the duration is a finite number", () => {
    expect(rule(make((g) => g.timeout("A", "t", "1 second", (b: any) => b.msg("B", "A", "M"), (f: any) => f)))).toBe("accepted")
    expect(rule(make((g) => g.msg("A", "B", "M").timeout("A", "t", "1 second", (b: any) => b, (f: any) => f.msg("B", "A", "K"))))).toBe("TimeoutNotRaced")
    expect(rule(make((g) => g.timeout("A", "t", "1 second", (b: any) => b.msg("B", "A", "M").end(), (f: any) => f)))).toBe("EndInTimeout")
    expect(rule(make((g) => g.loop("l", (l: any) => l.msg("A", "B", "K").timeout("A", "t", "1 second", (b: any) => b.msg("B", "A", "M").recur("l"), (f: any) => f))))).toBe("RecurAcrossBarrier")
    expect(rule(make((g) => g.timeout("A", "t", "Infinity millis" as never, (b: any) => b.msg("B", "A", "M"), (f: any) => f)))).toBe("BadDuration")
    const e = make((g) => g.msg("A", "B", "M").timeout("A", "t", "1 second", (b: any) => b, (f: any) => f.msg("B", "A", "K")))
    expect(Either.isLeft(e) && e.left.message).toBe(
      "protocol T: A decides timeout 't' at site 1 but takes no part in its body, so there is nothing for it to race against the clock. Let A receive in the body."
    )
  })

  it("the local types show the timeout", () => {
    expect(Protocol.formatLocal(Protocol.project(RR.RobustRequest, "Client"))).toBe(
      "Send(Server, Request).Timeout(response at Client){ body: Recv(Server, Response).End, fallback: End }.End"
    )
    expect(Protocol.formatLocal(Protocol.project(Cancellable, "Server"))).toBe(
      "Recv(Client, Request).Timeout(reply at Client){ body: Send(Client, Response).End, fallback: Recv(Client, Cancel).End }.Send(Client, Bye).End"
    )
  })
})

describe("a peer failing inside a timeout's body", () => {
  it.live("is as good as the clock running out: the decider and the others take the fallback at once", () =>
    Effect.gen(function*() {
      const P3 = Protocol.make("Failing", { roles: ["D", "X", "Y"], messages: { M: N, K: N, Sorry: N } }, (g) =>
        g.timeout("D", "t", "10 seconds", (b) => b.msg("X", "D", "M").msg("D", "Y", "K"), (f) => f.msg("D", "Y", "Sorry")))
      const d = Role.implement(P3, "D", { send: { K: () => 1, Sorry: () => 2 }, recv: { M: (s) => s }, onTimeout: { t: (s) => s + 100 } }, 0)
      const x = Role.implement(P3, "X", { send: { M: () => Effect.die("X crashed") } }, 0)
      const y = Role.implement(P3, "Y", { recv: { K: (_, k) => k, Sorry: (_, s) => s } }, 0)
      const memory = yield* Memory.make
      const started = Date.now()
      const [ed, ex, ey] = yield* Effect.all([
        Effect.exit(Role.run(P3, "D", d, { sessionId: "f" })),
        Effect.exit(Role.run(P3, "X", x, { sessionId: "f" })),
        Effect.exit(Role.run(P3, "Y", y, { sessionId: "f" }))
      ], { concurrency: "unbounded" }).pipe(Effect.provideService(Transport, memory), Effect.timeoutFail({ duration: "3 seconds", onTimeout: () => "hung" as const }))
      expect(Exit.isFailure(ex)).toBe(true)
      expect(ed).toEqual(Exit.succeed(100))
      expect(ey).toEqual(Exit.succeed(2))
      expect(Date.now() - started).toBeLessThan(2000)
    }))
})
