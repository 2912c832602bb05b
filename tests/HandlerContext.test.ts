/**
 * Handlers with context (issue 16, part 2): every handler of `Role.implement` may take a last
 * argument that names the session, the role, the peer, the label, the site and the rounds of
 * the enclosing loops; `send` and `choose` handlers may answer `Role.withState(value, state)`
 * to change the state. The old signatures keep working (every other test uses them).
 */
import { Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { Protocol, Role, Session, type StepContext } from "../src/index.js"

/** A server that sends three parts in a row and numbers them in its state. */
const Parts = Protocol.make("Parts", {
  roles: ["Client", "Server"],
  messages: { Request: Schema.String, Part: Schema.Struct({ n: Schema.Number, of: Schema.String }) }
}, (g) => g.msg("Client", "Server", "Request").msg("Server", "Client", "Part").msg("Server", "Client", "Part").msg("Server", "Client", "Part"))

describe("handlers with context", () => {
  it("a send handler answers Role.withState: three sends in a row, each numbered from the state", async () => {
    const seen: Array<StepContext> = []
    const server = Role.implement(Parts, "Server", {
      recv: { Request: (_: { n: number; what: string }, what, ctx) => (seen.push(ctx), { n: 0, what }) },
      send: { Part: (s, ctx) => (seen.push(ctx), Role.withState({ n: s.n + 1, of: s.what }, { ...s, n: s.n + 1 })) }
    }, { n: -1, what: "" })
    const client = Role.implement(Parts, "Client", {
      send: { Request: () => "report" },
      recv: { Part: (got: ReadonlyArray<number>, part) => [...got, part.n] }
    }, [] as ReadonlyArray<number>)
    const r = await Effect.runPromise(Session.run(Parts, { Client: client, Server: server }, { sessionId: "parts-1" }))
    expect(r).toEqual({ Client: [1, 2, 3], Server: { n: 3, what: "report" } })
    expect(seen.map((c) => [c.session, c.role, c.peer, c.label])).toEqual([
      ["parts-1", "Server", "Client", "Request"],
      ["parts-1", "Server", "Client", "Part"],
      ["parts-1", "Server", "Client", "Part"],
      ["parts-1", "Server", "Client", "Part"]
    ])
    // Each step its own site: the three sends are three steps of the protocol.
    expect(new Set(seen.slice(1).map((c) => c.site)).size).toBe(3)
  })

  it("an Effect answer with withState, and a choose handler's withState", async () => {
    const Ask = Protocol.make("Ask", {
      roles: ["A", "B"],
      messages: { Q: Schema.Number, Yes: Schema.Number, No: Schema.Number }
    }, (g) => g.msg("A", "B", "Q").choice("B", "answer", { yes: (b) => b.msg("B", "A", "Yes"), no: (b) => b.msg("B", "A", "No") }))
    const b = Role.implement(Ask, "B", {
      recv: { Q: (_: string, q) => `asked ${q}` },
      choose: { answer: (s, ctx) => Role.withState("yes" as const, `${s}; chose at ${ctx.label} (${ctx.peer ?? "no peer"})`) },
      send: { Yes: (s) => Effect.succeed(Role.withState(s.length, `${s}; sent`)), No: () => 0 }
    }, "")
    const a = Role.implement(Ask, "A", { send: { Q: () => 7 }, recv: { Yes: (_: number, n) => n, No: () => -1 } }, 0)
    const r = await Effect.runPromise(Session.run(Ask, { A: a, B: b }, { sessionId: "ask" }))
    expect(r.B).toBe("asked 7; chose at answer (no peer); sent")
    expect(r.A).toBe("asked 7; chose at answer (no peer)".length)
  })

  it("the rounds of the enclosing loop count up in the handlers' contexts, on both sides", async () => {
    const Stream = Protocol.make("Stream", {
      roles: ["P", "C"],
      messages: { Chunk: Schema.Number, Ack: Schema.Number, Done: Schema.Number }
    }, (g) =>
      g.loop("chunks", (l) =>
        l.msg("P", "C", "Chunk").msg("C", "P", "Ack").choice("P", "more", { next: (b) => b.recur("chunks"), last: (b) => b.msg("P", "C", "Done") })))
    const sent: Array<number | undefined> = []
    const acked: Array<number | undefined> = []
    const p = Role.implement(Stream, "P", {
      send: { Chunk: (n, ctx) => (sent.push(ctx.rounds.chunks), n), Done: (n) => n },
      recv: { Ack: (n) => n + 1 },
      choose: { more: (n) => (n < 4 ? "next" : "last") }
    }, 0)
    const c = Role.implement(Stream, "C", {
      recv: { Chunk: (s: number, _chunk, ctx) => (acked.push(ctx.rounds.chunks), s + 1), Done: (s) => s },
      send: { Ack: (s) => s }
    }, 0)
    const r = await Effect.runPromise(Session.run(Stream, { P: p, C: c }, { sessionId: "stream" }))
    expect(r).toEqual({ P: 4, C: 4 })
    expect(sent).toEqual([0, 1, 2, 3])
    expect(acked).toEqual(sent)
  })

  it("in a parallel, send handlers that answer withState lose no update (they hold the state's lock)", async () => {
    const Fan = Protocol.make("Fan", {
      roles: ["A", "B", "C"],
      messages: { M: Schema.Number, K: Schema.Number, Total: Schema.Number }
    }, (g) => g.parallel((b) => b.msg("A", "B", "M").msg("A", "B", "M"), (b) => b.msg("A", "C", "K").msg("A", "C", "K")).msg("A", "B", "Total"))
    const a = Role.implement(Fan, "A", {
      send: {
        M: (n) => Effect.delay(Effect.succeed(Role.withState(n, n + 1)), "2 millis"),
        K: (n, _ctx) => Effect.delay(Effect.succeed(Role.withState(n, n + 10)), "1 millis"),
        Total: (n) => n
      }
    }, 0)
    const b = Role.implement(Fan, "B", { recv: { M: (s: ReadonlyArray<number>, m) => [...s, m], Total: (s, t) => [...s, t] } }, [] as ReadonlyArray<number>)
    const c = Role.implement(Fan, "C", { recv: { K: (s: number) => s + 1 } }, 0)
    const r = await Effect.runPromise(Session.run(Fan, { A: a, B: b, C: c }, { sessionId: "fan" }))
    expect(r.A).toBe(22)
    expect(r.B[r.B.length - 1]).toBe(22)
    expect(r.C).toBe(2)
  })
})

describe("handlers that answer with a Promise", () => {
  it("async send, receive and choose handlers are awaited; a rejection fails the session with what was thrown", async () => {
    const Ask = Protocol.make("AskAsync", {
      roles: ["A", "B"],
      messages: { Q: Schema.Number, Yes: Schema.Number, No: Schema.Number }
    }, (g) => g.msg("A", "B", "Q").choice("B", "answer", { yes: (b) => b.msg("B", "A", "Yes"), no: (b) => b.msg("B", "A", "No") }))
    const later = <A>(a: A) => new Promise<A>((resolve) => setTimeout(() => resolve(a), 1))
    const b = (fail: boolean) =>
      Role.implement(Ask, "B", {
        recv: { Q: async (_: number, q) => later(q * 2) },
        choose: { answer: async (s) => (fail ? Promise.reject(new Error("no answer")) : later(s > 10 ? "yes" as const : "no" as const)) },
        send: { Yes: (s) => later(s), No: async () => 0 }
      }, 0)
    const a = Role.implement(Ask, "A", { send: { Q: async () => 7 }, recv: { Yes: (_: number, n) => later(n), No: () => -1 } }, 0)
    expect(await Effect.runPromise(Session.run(Ask, { A: a, B: b(false) }, { sessionId: "async-1" }))).toEqual({ A: 14, B: 14 })
    const failed = await Effect.runPromiseExit(Session.run(Ask, { A: a, B: b(true) }, { sessionId: "async-2" }))
    expect(failed._tag).toBe("Failure")
    expect(String(failed._tag === "Failure" ? failed.cause : "")).toContain("no answer")
  })
})
