/**
 * Declaration emit of helpers that take or return endpoints. `scripts/type-tests.mjs` copies
 * this file into a temporary package that depends on "quadrille" the way a user's package
 * does (the library's declarations under node_modules/quadrille, behind its package.json
 * "exports"), compiles it there with `declaration: true` (tsconfig.json beside this file), and
 * fails on any error. The declarations of these helpers name every endpoint type; one that
 * "quadrille" did not export would be TS2742 (TS2883 on TypeScript 6 and 7), or TS4023 for a
 * type not exported at all.
 */
import { Effect, Schema } from "effect"
import { type Endpoint, type Local, Offered, Protocol, Role } from "quadrille"

/** Send, Recv, Select, Offer and End, and a loop (endpoints inside it carry a `Bind`). */
export const Q = Protocol.make("Q", {
  roles: ["A", "B"],
  messages: { Req: Schema.Number, Yes: Schema.Number, No: Schema.String, Ack: Schema.Struct({}), More: Schema.Number, Fin: Schema.Struct({}) }
}, (g) =>
  g.msg("A", "B", "Req").choice("B", "answer", {
    yes: (c) => c.msg("B", "A", "Yes"),
    no: (c) =>
      c.msg("B", "A", "No").loop("acks", (l) =>
        l.msg("A", "B", "Ack").choice("B", "again", {
          more: (m) => m.msg("B", "A", "More").recur("acks"),
          stop: (m) => m.msg("B", "A", "Fin")
        }))
  }))

type A0 = Endpoint<Local<typeof Q, "A">>
type B0 = Endpoint<Local<typeof Q, "B">>

/** SendEndpoint in, OfferEndpoint out. */
export const request = (ch: A0) => ch.send("B", "Req", 1)
/** RecvEndpoint and SelectEndpoint. */
export const refuse = (ch: B0) => Effect.flatMap(ch.recv("A", "Req"), ([, c]) => c.select("no"))
/** Offered (a union of branches), EndEndpoint, endpoints in a loop. */
export const waitForAnswer = (ch: A0) => Effect.flatMap(request(ch), (c) => c.offer())
/** Exhaustive handling of the offer, returning each branch's next endpoint. */
export const afterAnswer = (ch: A0) =>
  Effect.flatMap(waitForAnswer(ch), (o) =>
    Offered.match(o, {
      Yes: (b) => Effect.succeed(b.next),
      No: (b) => Effect.succeed(b.next)
    }))

/** The endpoint of the loop, for a helper's parameter. */
export const ack = (at: Effect.Effect.Success<ReturnType<typeof refuse>>) => at.send("A", "No", "no")

export const a = Role.program(Q, "A", (ch) =>
  Effect.gen(function*() {
    const o = yield* waitForAnswer(ch)
    if (o.label === "Yes") return yield* o.next.close(o.payload)
    let at = yield* o.next.send("B", "Ack", {})
    for (;;) {
      const m = yield* at.offer()
      if (m.label === "Fin") return yield* m.next.close(0)
      at = yield* m.next.send("B", "Ack", {})
    }
  }))

/** RoundsEndpoint, ParEndpoint, TimeoutEndpoint, SagaEndpoint. */
export const R = Protocol.make("R", {
  roles: ["A", "B"],
  messages: { Bid: Schema.Number, Left: Schema.Number, Right: Schema.Number, Ask: Schema.Number, Reply: Schema.Number, Do: Schema.Number, Undo: Schema.Number }
}, (g) =>
  g
    .repeat("rounds", (r) => r.msg("A", "B", "Bid"))
    .parallel((p) => p.msg("A", "B", "Left"), (p) => p.msg("A", "B", "Right"))
    .timeout("A", "reply", "1 second", (t) => t.msg("A", "B", "Ask").msg("B", "A", "Reply"), (f) => f)
    .saga("A", "work", (s) => s.msg("A", "B", "Do"), (c) => c.msg("A", "B", "Undo")))

type RA = Endpoint<Local<typeof R, "A">>

export const round = (ch: RA) => ch.round()
export const bothSides = (ch: Extract<Effect.Effect.Success<ReturnType<typeof round>>, { readonly label: "done" }>["next"]) =>
  ch.parallel(
    (l) => Effect.flatMap(l.send("B", "Left", 1), (end) => end.close()),
    (r) => Effect.flatMap(r.send("B", "Right", 2), (end) => end.close())
  )
export const ask = (ch: Effect.Effect.Success<ReturnType<typeof bothSides>>["next"]) =>
  ch.timeout(
    (b) => Effect.flatMap(b.send("B", "Ask", 1), (c) => Effect.flatMap(c.recv("B", "Reply"), ([n, end]) => end.close(n))),
    (f) => f.close()
  )
export const work = (ch: Effect.Effect.Success<ReturnType<typeof ask>>["next"]) =>
  ch.saga(
    (f) => Effect.flatMap(f.send("B", "Do", 1), (end) => end.close()),
    (c) => Effect.flatMap(c.send("B", "Undo", 1), (end) => end.close())
  )
