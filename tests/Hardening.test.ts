/**
 * Bad input from a peer or a careless caller: each case below was a defect, a hang, a leak or
 * a silently wrong result before it was fixed, and is now a typed error, a dropped and
 * recorded frame, or a correct run.
 */
import { it } from "@effect/vitest"
import { Duration, Effect, Either, Exit, Schema } from "effect"
import { describe, expect } from "vitest"
import {
  type Envelope,
  Memory,
  Protocol,
  Reliable,
  Role,
  Session,
  TraceSink,
  Transport,
  type TransportService
} from "../src/index.js"
import { Channel, maxEarlyFrames } from "../src/runtime/channel.js"
import * as TwoPhaseCommit from "../examples/two-phase-commit.js"
import * as UntrustedInput from "../examples/untrusted-input.js"

const N = Schema.Number

/** A ping-pong: A sends Ping, B answers Pong. */
const PingPong = Protocol.make("PingPong", { roles: ["A", "B"], messages: { Ping: N, Pong: N } }, (g) =>
  g.msg("A", "B", "Ping").msg("B", "A", "Pong"))

const pong = Role.implement(PingPong, "B", { send: { Pong: (s) => s + 1 }, recv: { Ping: (_, p) => p } }, 0)

/** A ping whose send handler first does `before` (while both roles run), then sends 41. */
const pingAfter = (before: () => void) =>
  Role.implement(PingPong, "A", { send: { Ping: () => Effect.sync(() => (before(), 41)) }, recv: { Pong: (_, p) => p } }, 0)

/** A frame from A to B in session `session`, good unless changed. */
const frame = (session: string, change: Partial<Record<keyof Envelope, unknown>> = {}): Record<string, unknown> => ({
  session,
  from: "A",
  to: "B",
  label: "Ping",
  site: "0",
  loops: {},
  seq: 0,
  payload: 41,
  ...change
})

/** Runs `effect` with a recorder as its TraceSink; returns its exit and the events. */
const traced = <A, E>(effect: Effect.Effect<A, E, TraceSink.TraceSink>) =>
  Effect.suspend(() => {
    const recorder = TraceSink.unsafeMakeRecorder()
    return Effect.map(Effect.exit(Effect.provideService(effect, TraceSink.TraceSink, recorder)), (exit) => ({ exit, events: recorder.events() }))
  })

const guard = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.timeoutFail(effect, { duration: "3 seconds", onTimeout: () => "hung" as const })

describe("1. the reliable layer's intake survives a frame that is no envelope", () => {
  it.live("a frame whose label is not a string is rejected and recorded; the session completes", () =>
    Effect.gen(function*() {
      const { events, exit } = yield* traced(Effect.scoped(Effect.gen(function*() {
        const memory = yield* Memory.make
        const reliable = yield* Reliable.wrap(memory, { linger: Duration.millis(1) })
        const bad = () => {
          memory.inject(frame("r1", { label: 42, mailbox: "~reliable" }))
          memory.inject(frame("r1", { label: { toString: null }, mailbox: "~reliable" }))
        }
        const result = yield* guard(Session.run(PingPong, { A: pingAfter(bad), B: pong }, { sessionId: "r1" }).pipe(
          Effect.provideService(Transport, reliable)
        ))
        return { result, rejected: memory.stats().rejected }
      })))
      expect(exit).toEqual(Exit.succeed({ result: { A: 42, B: 41 }, rejected: 2 }))
      const rejects = events.filter((e) => e._tag === "Reject")
      expect(rejects).toHaveLength(2)
      expect(rejects[0]).toMatchObject({ session: "r1", role: "A", peer: "B", label: "?" })
      expect(rejects[0].reason).toContain("not an envelope: at [\"label\"]: expected")
    }))

  it.live("a frame further ahead than the window is dropped unacknowledged and recorded", () =>
    Effect.gen(function*() {
      const { events, exit } = yield* traced(Effect.scoped(Effect.gen(function*() {
        const memory = yield* Memory.make
        const reliable = yield* Reliable.wrap(memory, { linger: Duration.millis(1), window: 8 })
        const ahead = () => void memory.inject(frame("r2", { seq: 8, mailbox: "~reliable" }))
        return yield* guard(Session.run(PingPong, { A: pingAfter(ahead), B: pong }, { sessionId: "r2" }).pipe(
          Effect.provideService(Transport, reliable)
        ))
      })))
      expect(exit).toEqual(Exit.succeed({ A: 42, B: 41 }))
      expect(events.filter((e) => e._tag === "Drop")).toMatchObject([{ reason: "window", seq: 8, peer: "B" }])
    }))
})

describe("2. names like Object.prototype's members find nothing they were not given", () => {
  const names = ["toString", "constructor", "hasOwnProperty", "valueOf", "__proto__"] as const

  it.effect.each(names)("a label, a choice and a branch named %s: a missing handler is named, and a full run is right", (name) =>
    Effect.gen(function*() {
      const messages = Object.fromEntries([[name, N], ["X", N]])
      // Built through Protocol.Any: the names are the point here, not the types.
      const P: Protocol.Any = Protocol.make("Names", { roles: ["A", "B"], messages }, (g: any) =>
        g.msg("A", "B", name).choice("A", name, Object.fromEntries([
          [name, (c: any) => c.msg("A", "B", "X")],
          ["other", (c: any) => c.msg("A", "B", name)]
        ])))
      const handlers = (h: object) => h as never
      const noSend = Role.implement(P, "A", handlers({ send: { X: () => 1 }, choose: Object.fromEntries([[name, () => name]]) }), 0)
      const b = Role.implement(P, "B", handlers({ recv: Object.fromEntries([[name, (s: number, p: number) => s + p], ["X", (s: number, p: number) => s * 10 + p]]) }), 0)
      const e1 = yield* Effect.flip(Session.run(P, { A: noSend, B: b }))
      expect(e1).toMatchObject({ _tag: "ImplementationError", message: `Role.implement(Names, A): missing handlers send.${name}` })
      const noChoose = Role.implement(P, "A", handlers({ send: Object.fromEntries([[name, () => 2], ["X", () => 1]]) }), 0)
      const e2 = yield* Effect.flip(Session.run(P, { A: noChoose, B: b }))
      expect(e2).toMatchObject({ _tag: "ImplementationError", message: `Role.implement(Names, A): missing handlers choose.${name}` })
      const a = Role.implement(P, "A", handlers({ send: Object.fromEntries([[name, () => 2], ["X", () => 3]]), choose: Object.fromEntries([[name, () => name]]) }), 0)
      expect(yield* Session.run(P, { A: a, B: b })).toEqual({ A: 0, B: 23 })
      // A receive handler that was not given is not found on the prototype: B keeps its state.
      const quiet = Role.implement(P, "B", handlers({ recv: {} }), 7)
      expect(yield* Session.run(P, { A: a, B: quiet })).toEqual({ A: 0, B: 7 })
    }))

  it.effect("a loop named __proto__ keeps its counters: they travel with every frame, and a wrong round is caught", () =>
    Effect.gen(function*() {
      const Q = Protocol.make("Q", { roles: ["A", "B"], messages: { M: N, K: N, S: N } }, (g) =>
        g.loop("__proto__", (l) =>
          l.msg("A", "B", "M").msg("B", "A", "K").choice("A", "c", { more: (c) => c.recur("__proto__"), stop: (c) => c.msg("A", "B", "S") })))
      const a = Role.implement(Q, "A", { send: { M: () => 1, S: () => 0 }, recv: { K: (s) => s + 1 }, choose: { c: (s) => (s < 3 ? "more" : "stop") } }, 0)
      const b = Role.implement(Q, "B", { send: { K: () => 1 }, recv: { M: (s) => s + 1 } }, 0)
      const { frames, result } = yield* Memory.recorded(Session.run(Q, { A: a, B: b }))
      expect(result).toEqual({ A: 3, B: 3 })
      const ms = frames.filter((f) => f.label === "M")
      expect(ms.map((f) => Object.getOwnPropertyDescriptor(f.loops, "__proto__")?.value)).toEqual([0, 1, 2])
      // A forged M of round 0 where B is in round 2 is refused by the counter.
      const memory = yield* Memory.make
      let sent = 0
      const forging: TransportService = {
        ...memory,
        send: (e) =>
          Effect.suspend(() => {
            if (e.label === "M" && ++sent === 3) {
              memory.inject({ ...e, loops: JSON.parse("{\"__proto__\": 0}") })
              return Effect.void
            }
            return memory.send(e)
          })
      }
      const e = yield* Effect.flip(Session.run(Q, { A: a, B: b }).pipe(Effect.provideService(Transport, forging)))
      expect(e).toMatchObject({ _tag: "ProtocolViolation", role: "B", expected: "iteration 2 of loop '__proto__'" })
    }))

  it.effect("a role named __proto__ runs, and its result is an own property", () =>
    Effect.gen(function*() {
      const Q = Protocol.make("Q", { roles: ["__proto__", "B"], messages: { M: N } }, (g) => g.msg("__proto__", "B", "M"))
      const impls = Object.fromEntries([
        ["__proto__", Role.implement(Q, "__proto__", { send: { M: () => 5 } }, 1)],
        ["B", Role.implement(Q, "B", { recv: { M: (_, m) => m } }, 0)]
      ]) as never
      const result: Record<string, unknown> = yield* Session.run(Q, impls)
      expect(Object.getOwnPropertyDescriptor(result, "__proto__")?.value).toBe(1)
      expect(result.B).toBe(5)
      expect(Object.getPrototypeOf(result)).toBe(Object.prototype)
    }))

  it.effect("session parameters are looked up as own properties", () =>
    Effect.gen(function*() {
      const R = Protocol.make("R", { roles: ["A", "B"], messages: { M: N } }, (g) => g.repeat("toString", (b) => b.msg("A", "B", "M")))
      const a = Role.implement(R, "A", { send: { M: () => 1 } }, 0)
      const b = Role.implement(R, "B", { recv: { M: (s) => s + 1 } }, 0)
      const e = yield* Effect.flip(Session.run(R, { A: a, B: b }, { params: {} }))
      expect(e.message).toContain("needs the session parameter 'toString'")
      expect(yield* Session.run(R, { A: a, B: b }, { params: { toString: 3 } as never })).toEqual({ A: 0, B: 3 })
    }))
})

describe("3. a shared in-memory transport keeps nothing of sessions that failed", () => {
  const Stream = Protocol.make("Stream", { roles: ["A", "B"], messages: { Chunk: N, Stop: N } }, (g) =>
    g.loop("s", (l) => l.choice("A", "more", { chunk: (c) => c.msg("A", "B", "Chunk").recur("s"), stop: (c) => c.msg("A", "B", "Stop") })))
  /** A sends 200 chunks then stops; B fails on the first. */
  const sender = Role.program(Stream, "A", (ch) =>
    Effect.gen(function*() {
      let c = ch
      for (let i = 0; i < 200; i++) c = yield* (yield* c.select("chunk")).send("B", "Chunk", i)
      return yield* (yield* (yield* c.select("stop")).send("B", "Stop", 0)).close(200)
    }))
  const failing = Role.implement(Stream, "B", { recv: { Chunk: () => Effect.fail("refused" as const) } }, 0)
  const counting = Role.implement(Stream, "B", { recv: { Chunk: (s) => s + 1 } }, 0)

  it.effect("500 failed sessions leave no session, mailbox or frame; late frames are dropped and counted", () =>
    Effect.gen(function*() {
      const memory = yield* Memory.make
      for (let i = 0; i < 500; i++) {
        const e = yield* Effect.flip(Session.run(Stream, { A: sender, B: failing }, { sessionId: `f${i}` }).pipe(Effect.provideService(Transport, memory)))
        expect(e).toBe("refused")
      }
      const stats = memory.stats()
      expect(stats).toMatchObject({ sessions: 0, mailboxes: 0, frames: 0 })
      expect(stats.dropped).toBeGreaterThan(0)
      // A session id used again starts clean: no stale frame of the failed run is read.
      const again = yield* Session.run(Stream, { A: sender, B: counting }, { sessionId: "f0" }).pipe(Effect.provideService(Transport, memory))
      expect(again).toEqual({ A: 200, B: 200 })
      expect(memory.stats()).toMatchObject({ sessions: 0, mailboxes: 0, frames: 0 })
    }))

  it.effect("a closed role stays closed while its session runs: reopening it is refused, frames for it are dropped", () =>
    Effect.gen(function*() {
      const memory = yield* Memory.make
      yield* memory.open!("s", "A")
      yield* memory.open!("s", "B")
      yield* memory.close!("s", "B")
      const refused = yield* Effect.flip(memory.open!("s", "B"))
      expect(refused.message).toContain("session id s is used again for B")
      yield* memory.send(frame("s") as unknown as Envelope)
      expect(memory.inject(frame("s"))).toBe(false)
      expect(memory.stats()).toMatchObject({ sessions: 1, mailboxes: 0, frames: 0, dropped: 1 })
      yield* memory.close!("s", "A")
      expect(memory.stats()).toMatchObject({ sessions: 0, mailboxes: 0, frames: 0 })
    }))
})

describe("3b. frames for a role that has not started, and for no role at all", () => {
  const OneWay = Protocol.make("OneWay", { roles: ["A", "B"], messages: { M: N } }, (g) => g.msg("A", "B", "M"))
  const a = Role.implement(OneWay, "A", { send: { M: () => 7 } }, 0)
  const b = Role.implement(OneWay, "B", { recv: { M: (_, m) => m } }, 0)

  it.effect("a sender that ends before its peer starts: the frame waits for the peer, then the session goes", () =>
    Effect.gen(function*() {
      const memory = yield* Memory.make
      expect(yield* Role.run(OneWay, "A", a, { sessionId: "early" }).pipe(Effect.provideService(Transport, memory))).toBe(0)
      expect(memory.stats()).toMatchObject({ sessions: 1, mailboxes: 1, frames: 1 })
      expect(yield* Role.run(OneWay, "B", b, { sessionId: "early" }).pipe(Effect.provideService(Transport, memory))).toBe(7)
      expect(memory.stats()).toMatchObject({ sessions: 0, mailboxes: 0, frames: 0 })
    }))

  it.effect("a frame addressed to no role of the session is dropped as unknown, even from a trusted sender", () =>
    Effect.gen(function*() {
      const memory = yield* Memory.make
      yield* memory.open!("k", "A", ["A", "B"])
      yield* memory.send(frame("k", { to: "Mallory" }) as unknown as Envelope)
      yield* memory.close!("k", "A")
      expect(memory.stats()).toMatchObject({ sessions: 0, mailboxes: 0, frames: 0, dropped: 1 })
    }))
})

describe("4. malformed envelopes are rejected at the boundary, never defects", () => {
  const symbolic = frame("m", { site: Symbol("site") })
  const nullProto = Object.assign(Object.create(null), frame("m", { seq: 1 }))
  const cases: ReadonlyArray<readonly [string, unknown, string]> = [
    ["a non-string site", frame("m", { site: 7 }), "at [\"site\"]: expected"],
    ["null", null, "not an envelope"],
    ["undefined", undefined, "not an envelope"],
    ["a Symbol-valued field", symbolic, "got a symbol"],
    ["a negative seq", frame("m", { seq: -1 }), "at [\"seq\"]"],
    ["loops that are no counters", frame("m", { loops: { L: "one" } }), "loop counter \"L\" must be a whole number from 0"],
    ["a getter that throws", Object.defineProperty(frame("m"), "label", { get: () => { throw new Error("boom") }, enumerable: true }), "could not be read"]
  ]

  it.live("each is rejected with a reason, recorded, and the session completes", () =>
    Effect.gen(function*() {
      const results: Array<boolean> = []
      let memory: Memory.MemoryTransport | undefined
      const { events, exit } = yield* traced(Effect.flatMap(Memory.make, (m) => {
        memory = m
        return guard(Session.run(PingPong, {
          A: pingAfter(() => {
            for (const [, f] of cases) results.push(m.inject(f))
          }),
          B: pong
        }, { sessionId: "m" }).pipe(Effect.provideService(Transport, m)))
      }))
      expect(exit).toEqual(Exit.succeed({ A: 42, B: 41 }))
      expect(results).toEqual(cases.map(() => false))
      const reasons = events.filter((e) => e._tag === "Reject").map((e) => e.reason)
      expect(reasons).toHaveLength(cases.length)
      cases.forEach(([, , reason], i) => expect(reasons[i]).toContain(reason))
      expect(memory?.stats().rejected).toBe(cases.length)
    }))

  it.live("a null-prototype envelope is decoded into a plain one and checked like any other", () =>
    Effect.gen(function*() {
      const memory = yield* Memory.make
      // seq 1 where 0 is due: a decoded frame, refused by the role with a ProtocolViolation.
      const e = yield* guard(Effect.flip(Session.run(PingPong, { A: pingAfter(() => memory.inject(nullProto)), B: pong }, { sessionId: "m" }).pipe(
        Effect.provideService(Transport, memory)
      )))
      expect(e).toMatchObject({ _tag: "ProtocolViolation", role: "B", expected: "message number 0 from A" })
    }))
})

describe("5. deep or huge payloads fail with a bounded DecodeError", () => {
  /** Runs B of PingPong alone, validating, on a transport that delivers `payload` as A's Ping. */
  const decoding = (payload: unknown, P: Protocol.Any = PingPong) => {
    const delivered: Array<Envelope> = [frame("d", { payload }) as unknown as Envelope]
    const transport: TransportService = {
      serialises: false,
      send: () => Effect.void,
      receive: () => Effect.suspend(() => (delivered.length > 0 ? Effect.succeed(delivered.shift()!) : Effect.never))
    }
    const b = Role.implement(P, "B", { send: { Pong: () => 0 }, recv: {} } as never, 0)
    return guard(Effect.flip(Role.run(P, "B", b, { sessionId: "d", validate: true }).pipe(Effect.provideService(Transport, transport))))
  }
  let deep: unknown = 1
  for (let i = 0; i < 3000; i++) deep = { x: deep }

  it.live("a payload nested 3 000 deep, against a flat Schema.Number", () =>
    Effect.gen(function*() {
      const e = yield* decoding(deep)
      expect(e).toMatchObject({ _tag: "DecodeError", role: "B", peer: "A", label: "Ping", issue: "expected number, got { x: {1 keys} }" })
      expect(e.message.length).toBeLessThan(300)
    }))

  it.live("a payload nested 200 000 deep, against a recursive Schema: too deep to decode, not a stack overflow", () =>
    Effect.gen(function*() {
      interface Tree { readonly x?: Tree }
      const Tree: Schema.Schema<Tree> = Schema.Struct({ x: Schema.optional(Schema.suspend(() => Tree)) })
      const Deep = Protocol.make("Deep", { roles: ["A", "B"], messages: { Ping: Tree, Pong: N } }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
      let tree: Tree = {}
      for (let i = 0; i < 200_000; i++) tree = { x: tree }
      const e = yield* decoding(tree, Deep)
      expect(e).toMatchObject({ _tag: "DecodeError", issue: "the payload is nested too deep to decode" })
    }))

  it.live("a 10 MB string is quoted clipped, not whole", () =>
    Effect.gen(function*() {
      const e = yield* decoding("x".repeat(10_000_000))
      expect(e._tag).toBe("DecodeError")
      expect(e.message.length).toBeLessThan(300)
      expect(e.message).toContain("characters")
    }))

  it.live("a 10 MB label is no envelope: rejected at the boundary", () =>
    Effect.gen(function*() {
      const memory = yield* Memory.make
      let accepted: boolean | undefined
      const exit = yield* Effect.exit(guard(Session.run(PingPong, {
        A: pingAfter(() => (accepted = memory.inject(frame("h", { label: "L".repeat(10_000_000) })))),
        B: pong
      }, { sessionId: "h" }).pipe(Effect.provideService(Transport, memory))))
      expect(exit).toEqual(Exit.succeed({ A: 42, B: 41 }))
      expect(accepted).toBe(false)
    }))
})

describe("6. a frame left unread when a role ends", () => {
  it.live("a frame still in the transport when its role ends is dropped as unread and recorded", () =>
    Effect.gen(function*() {
      const recorder = TraceSink.unsafeMakeRecorder()
      const memory = Memory.unsafeMake(recorder)
      // B's Pong handler slips one more Ping from A into B's mailbox before B sends and ends.
      const extra = Role.implement(PingPong, "B", {
        send: { Pong: (s) => Effect.sync(() => (memory.inject(frame("u", { seq: 1 })), s + 1)) },
        recv: { Ping: (_, p) => p }
      }, 0)
      const ping = Role.implement(PingPong, "A", { send: { Ping: () => 41 }, recv: { Pong: (_, p) => p } }, 0)
      const exit = yield* Effect.exit(guard(Session.run(PingPong, { A: ping, B: extra }, { sessionId: "u" }).pipe(
        Effect.provideService(Transport, memory)
      )))
      const events = recorder.events()
      expect(exit).toEqual(Exit.succeed({ A: 42, B: 41 }))
      expect(events.filter((e) => e._tag === "Drop")).toMatchObject([{ reason: "unread", role: "A", peer: "B", seq: 1 }])
      expect(memory.stats()).toMatchObject({ sessions: 0, frames: 0, dropped: 1 })
    }))

  it.live("a frame the role took early and never got to is a ProtocolViolation when it ends", () =>
    Effect.gen(function*() {
      const Three = Protocol.make("Three", { roles: ["A", "B", "C"], messages: { M: N, K: N } }, (g) => g.msg("A", "B", "M").msg("C", "B", "K"))
      const memory = yield* Memory.make
      // C's real K, then a forged second K, come while B waits for A: both are kept early.
      const c = Role.implement(Three, "C", { send: { K: () => 1 } }, 0)
      const forge = Effect.sync(() => memory.inject({ session: "x", from: "C", to: "B", label: "K", site: "1", loops: {}, seq: 1, payload: 2 }))
      const a = Role.implement(Three, "A", { send: { M: () => Effect.as(Effect.zipRight(Effect.sleep("20 millis"), forge), 1) } }, 0)
      const b = Role.implement(Three, "B", {}, 0)
      const e = yield* guard(Effect.flip(Session.run(Three, { A: a, B: b, C: c }, { sessionId: "x" }).pipe(Effect.provideService(Transport, memory))))
      expect(e).toMatchObject({ _tag: "ProtocolViolation", role: "B", peer: "C", message: "B ended with message K from C (site 1) left unread" })
    }))
})

describe("7. only the close() of the program's own endpoint ends it", () => {
  const P = TwoPhaseCommit.TwoPhaseCommit
  const coordinator = TwoPhaseCommit.coordinator(1)

  it.live("a forged Done is refused, and the peer does not hang", () =>
    Effect.gen(function*() {
      const forged = Role.program(P, "Participant", () => Effect.succeed({ [Symbol.for("quadrille/Done")]: 42 } as never))
      const e = yield* guard(Effect.flip(Session.run(P, { Coordinator: coordinator, Participant: forged })))
      expect(e).toMatchObject({ _tag: "ImplementationError", role: "Participant", message: "Role.program(TwoPhaseCommit, Participant) returned without the Done of close()" })
    }))

  it.live("a Done kept from another session is refused", () =>
    Effect.gen(function*() {
      let kept: unknown = undefined
      const participant = Role.program(P, "Participant", (ch) =>
        Effect.gen(function*() {
          if (kept !== undefined) return kept as never
          const [, c1] = yield* ch.recv("Coordinator", "PrepareRequest")
          const c2 = yield* c1.send("Coordinator", "PrepareResponse", { vote: "abort" })
          const branch = yield* c2.offer()
          const end = branch.label === "CommitRequest"
            ? yield* branch.next.send("Coordinator", "CommitAck", {})
            : yield* branch.next.send("Coordinator", "AbortAck", {})
          const done = yield* end.close("first")
          kept = done
          return done
        }))
      expect((yield* Session.run(P, { Coordinator: coordinator, Participant: participant })).Participant).toBe("first")
      const e = yield* guard(Effect.flip(Session.run(P, { Coordinator: coordinator, Participant: participant })))
      expect(e).toMatchObject({ _tag: "ImplementationError", role: "Participant" })
      expect(e.message).toContain("returned a Done made by the close() of another run, role or branch")
    }))
})

describe("8. smaller holes", () => {
  it("Protocol.make refuses a catalogue entry that is not a Schema, naming the label", () => {
    const made = Protocol.makeEither("Bad", { roles: ["A", "B"], messages: { Ping: Schema.Number, Pong: { not: "a schema" } as never } }, (g) =>
      g.msg("A", "B", "Ping"))
    expect(Either.isLeft(made) && made.left).toMatchObject({
      _tag: "ProjectionError",
      rule: "InvalidMessage",
      message: "protocol Bad: message 'Pong' has { not: \"a schema\" } where a Schema belongs."
    })
    const reserved = Protocol.makeEither("Bad", { roles: ["A", "B"], messages: { "~ack Ping": N } }, (g) => g)
    expect(Either.isLeft(reserved) && reserved.left.rule).toBe("InvalidMessage")
  })

  it("Protocol.make refuses roles that are not names, at once", () => {
    for (const role of [7, "", "A\u0000B", null]) {
      const made = Protocol.makeEither("Bad", { roles: ["A", role as never], messages: { M: N } }, (g) => g)
      expect(Either.isLeft(made) && made.left.rule).toBe("InvalidRole")
    }
    const made = Protocol.makeEither("Bad", { roles: ["A", 7 as never], messages: { M: N } }, (g) => g)
    expect(Either.isLeft(made) && made.left.message).toBe(
      "protocol Bad: role 7 is not a string. Name each role with a non-empty string of at most 1024 characters without NUL."
    )
  })

  it.effect("Session.run refuses an implementation for a role the protocol does not declare", () =>
    Effect.gen(function*() {
      const a = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: {} }, 0)
      const e = yield* Effect.flip(Session.run(PingPong, { A: a, B: pong, C: pong } as never))
      expect(e).toMatchObject({
        _tag: "ImplementationError",
        role: "C",
        message: "Session.run(PingPong): 'C' is not a role of the protocol, whose roles are A, B"
      })
    }))

  const Three = Protocol.make("Three", { roles: ["A", "B", "C"], messages: { M: N, K: N } }, (g) => g.msg("A", "B", "M").msg("C", "B", "K"))

  it.live("the early-frame buffer is bounded: a flood from a peer the role is not waiting on fails it", () =>
    Effect.gen(function*() {
      const memory = yield* Memory.make
      // C floods B while B waits for A, which answers only afterwards.
      const flood = Role.implement(Three, "C", {
        send: { K: () => Effect.sync(() => {
          for (let seq = 1; seq <= maxEarlyFrames + 1; seq++) memory.inject({ session: "e", from: "C", to: "B", label: "K", site: "1", loops: {}, seq, payload: 0 })
          return 0
        }) }
      }, 0)
      const a = Role.implement(Three, "A", { send: { M: () => Effect.as(Effect.sleep("50 millis"), 1) } }, 0)
      const b = Role.implement(Three, "B", {}, 0)
      const e = yield* guard(Effect.flip(Session.run(Three, { A: a, B: b, C: flood }, { sessionId: "e" }).pipe(Effect.provideService(Transport, memory))))
      expect(e).toMatchObject({ _tag: "ProtocolViolation", role: "B", peer: "C", expected: `at most ${maxEarlyFrames} frames ahead of the protocol` })
      expect(memory.stats()).toMatchObject({ sessions: 0, frames: 0 })
    }))

  it.live("a frame of another session from a peer the role is not waiting on is refused at once, not kept", () =>
    Effect.gen(function*() {
      const memory = yield* Memory.make
      const a = Role.implement(Three, "A", { send: { M: () => Effect.as(Effect.sleep("50 millis"), 1) } }, 0)
      const b = Role.implement(Three, "B", {}, 0)
      const c = Role.implement(Three, "C", { send: { K: () => 0 } }, 0)
      // C's frame reaches B's mailbox of this session but says another session.
      const misrouting: TransportService = {
        ...memory,
        receive: (session, role, mailbox) =>
          Effect.map(memory.receive(session, role, mailbox), (e) => (e.from === "C" ? { ...e, session: "other" } : e))
      }
      const e = yield* guard(Effect.flip(Session.run(Three, { A: a, B: b, C: c }, { sessionId: "w" }).pipe(Effect.provideService(Transport, misrouting))))
      expect(e).toMatchObject({ _tag: "ProtocolViolation", role: "B", peer: "C", expected: "a message of session w" })
    }))

  it.effect("a role that ends on a send over the reliable layer ends only once that frame is acknowledged", () =>
    Effect.gen(function*() {
      // The give-up itself is tested in Chaos.test.ts; here: the role waits for the ack before it succeeds.
      const memory = yield* Memory.make
      const acks: Array<string> = []
      const order: TransportService = {
        ...memory,
        // Acks on their own, and those carried by frames going back.
        send: (e) =>
          Effect.suspend(() => {
            if (e.label.startsWith("~ack ")) acks.push(`${e.label} ${e.seq}`)
            for (const a of e.acks ?? []) acks.push(`ack ${a.seq} carried by ${e.label}`)
            return memory.send(e)
          })
      }
      const ended: Array<string> = []
      const result = yield* Effect.scoped(Effect.gen(function*() {
        const reliable = yield* Reliable.wrap(order, { linger: Duration.millis(1) })
        const a = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, p) => p } }, 0)
        return yield* Session.run(PingPong, {
          A: a,
          B: Role.implement(PingPong, "B", { send: { Pong: (s) => s + 1 }, recv: { Ping: (_, p) => p } }, 0)
        }, { sessionId: "ack" }).pipe(Effect.provideService(Transport, reliable), Effect.tap(() => ended.push(`ended with ${acks.length} acks`)))
      }))
      expect(result).toEqual({ A: 2, B: 1 })
      expect(ended).toEqual(["ended with 2 acks"])
    }))
})

describe("examples/untrusted-input.ts", () => {
  it.effect("garbage is rejected and the session commits; a lying frame fails it with a ProtocolViolation; nothing is kept", () =>
    Effect.gen(function*() {
      const r = yield* UntrustedInput.main
      expect(r.survived).toEqual({ outcome: "committed", stats: { sessions: 0, mailboxes: 0, frames: 0, dropped: 0, rejected: 5 } })
      expect(r.rejected).toHaveLength(5)
      expect(r.rejected[2]).toBe("not an envelope: at [\"label\"]: expected string, got 42")
      expect(r.rejected[4].length).toBeLessThan(400)
      expect(r.failure).toEqual({
        tag: "ProtocolViolation",
        message: "Participant expected PrepareRequest from Coordinator but received CommitRequest from Coordinator (site 2.commit.0, seq 0): unexpected label CommitRequest; waiting on PrepareRequest from Coordinator"
      })
      expect(r.afterwards).toMatchObject({ sessions: 0, mailboxes: 0, frames: 0 })
    }))
})

describe("found by the hostile-input property", () => {
  it.live("a notice whose payload has a throwing getter fails the role with PeerFailed, not a defect", () =>
    Effect.gen(function*() {
      const memory = yield* Memory.make
      const payload = Object.defineProperty({ reason: "x", retryable: false }, "cause", { get() { throw new Error("hostile getter") }, enumerable: true })
      const a = pingAfter(() => memory.inject({ session: "g", from: "A", to: "B", label: "~failed", site: "", loops: {}, seq: 0, payload }))
      const e = yield* guard(Effect.flip(Session.run(PingPong, { A: a, B: pong }, { sessionId: "g" }).pipe(Effect.provideService(Transport, memory))))
      expect(e).toMatchObject({ _tag: "PeerFailed", role: "B", peer: "A", reason: "unknown" })
    }))

  it.live("a notice that replays a sequence number already used is a ProtocolViolation", () =>
    Effect.gen(function*() {
      const Two = Protocol.make("Two", { roles: ["A", "B"], messages: { M: N, K: N } }, (g) => g.msg("A", "B", "M").msg("A", "B", "K"))
      const memory = yield* Memory.make
      // After M (seq 0) has gone, a notice numbered 0 again.
      const a = Role.implement(Two, "A", {
        send: { M: () => 1, K: () => Effect.sync(() => (memory.inject({ session: "q", from: "A", to: "B", label: "~failed", site: "", loops: {}, seq: 0, payload: { reason: "x", cause: "y", retryable: false } }), 2)) }
      }, 0)
      const b = Role.implement(Two, "B", {}, 0)
      const e = yield* guard(Effect.flip(Session.run(Two, { A: a, B: b }, { sessionId: "q" }).pipe(Effect.provideService(Transport, memory))))
      expect(e).toMatchObject({ _tag: "ProtocolViolation", role: "B", expected: "message number 1 or later from A" })
    }))

  it.live("with a receive timeout, a failing role stops its peers at once, not when their timeout runs out", () =>
    Effect.gen(function*() {
      const memory = yield* Memory.make
      const a = pingAfter(() => memory.inject(frame("rt", { seq: 5 })))
      const started = Date.now()
      const e = yield* guard(Effect.flip(Session.run(PingPong, { A: a, B: pong }, { sessionId: "rt", receiveTimeout: "2 seconds" }).pipe(
        Effect.provideService(Transport, memory)
      )))
      expect(e._tag).toBe("ProtocolViolation")
      expect(Date.now() - started).toBeLessThan(500)
    }))

  it.live("closing the reliable layer's scope while roles linger closes them below: nothing is kept", () =>
    Effect.gen(function*() {
      const memory = yield* Memory.make
      yield* Effect.scoped(Effect.gen(function*() {
        const reliable = yield* Reliable.wrap(memory, { linger: Duration.seconds(30) })
        yield* Session.run(PingPong, { A: pingAfter(() => {}), B: pong }, { sessionId: "lg" }).pipe(Effect.provideService(Transport, reliable))
        expect(memory.stats().sessions).toBe(1)
      }))
      expect(memory.stats()).toMatchObject({ sessions: 0, mailboxes: 0, frames: 0 })
    }))
})

describe("bounds while a role runs (found by review)", () => {
  it.live("forged frames on lanes the role never reads, and forged stale verdicts, cannot grow the transport or the role without bound", () =>
    Effect.gen(function*() {
      const memory = yield* Memory.make
      let peak = 0
      const flood = () => {
        for (let i = 0; i < 20_000; i++) memory.inject(frame("b", { lane: `junk${i}`, seq: i }))
        for (let i = 0; i < 20_000; i++) memory.inject(frame("b", { lane: "junk0", seq: i }))
        peak = memory.stats().mailboxes
      }
      const exit = yield* Effect.exit(guard(Session.run(PingPong, { A: pingAfter(flood), B: pong }, { sessionId: "b" }).pipe(Effect.provideService(Transport, memory))))
      // B may fail on what was kept (a tagged error), but holds at most 256 mailboxes meanwhile, and nothing afterwards.
      expect(Exit.isSuccess(exit) || (exit.cause._tag === "Fail" && exit.cause.error !== "hung")).toBe(true)
      expect(peak).toBeLessThanOrEqual(258)
      expect(memory.stats()).toMatchObject({ sessions: 0, mailboxes: 0, frames: 0 })
      expect(memory.stats().dropped).toBeGreaterThan(20_000)
    }))
})

describe("a transport failure names what the role waited for", () => {
  // The in-memory transport lets channels take from its mailboxes directly (no Effect.mapError
  // around each wait); a spread copy of it goes through its `receive`. Both name the wait alike.
  const P = Protocol.make("Named", { roles: ["A", "B"], messages: { Ping: Schema.Number } }, (g) => g.msg("A", "B", "Ping"))
  const b = Role.implement(P, "B", { recv: { Ping: (_, n) => n } }, 0)
  for (const copy of [false, true]) {
    it.effect(copy ? "through the transport's receive" : "on the in-memory transport's direct path", () =>
      Effect.gen(function*() {
        const memory = Memory.unsafeMake()
        yield* memory.open!("s", "A", ["A", "B"])
        yield* memory.open!("s", "B", ["A", "B"])
        yield* memory.close!("s", "B")
        // A channel made by hand: `Role.run` would be refused at `open` (B has ended in the session).
        const channel = new Channel(P, "B", "s", copy ? { ...memory } : memory, false)
        const e = yield* Effect.flip(b.run(channel))
        expect(e).toMatchObject({ _tag: "TransportError", message: "B was waiting for Ping from A (site 0): B has ended in session s: its mailboxes are closed" })
      }))
  }
})
