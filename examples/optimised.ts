/**
 * A verified optimisation (Rumpsteak's streaming benchmark): the Source may send 5 values
 * before it waits for the first `Ready`, where its projection waits after every value.
 *
 *   loop 'stream'
 *     choice 'more' at Source
 *       more: Source -> Sink : Value (number)
 *             Sink -> Source : Ready
 *             recur 'stream'
 *       stop: Source -> Sink : Stop
 *
 * The optimised Source declares its own local type (`Role.local`), which `Role.program`
 * checks at definition against the Source's projection (asynchronous subtyping: outputs may
 * move ahead of inputs). The Sink is unchanged; its channel keeps the values that come early.
 * A Source that waits for a `Ready` before it sends anything is refused with a
 * `DeclaredTypeError`.
 *
 * Run: `npx tsx examples/optimised.ts`
 */
import { Effect, Schema } from "effect"
import { Check, DeclaredTypeError, Protocol, Role, Session } from "../src/index.js"

export const Streaming = Protocol.make("Streaming", {
  roles: ["Source", "Sink"],
  messages: { Value: Schema.Number, Ready: Schema.Struct({}), Stop: Schema.Struct({}) }
}, (g) =>
  g.loop("stream", (l) =>
    l.choice("Source", "more", {
      more: (b) => b.msg("Source", "Sink", "Value").msg("Sink", "Source", "Ready").recur("stream"),
      stop: (b) => b.msg("Source", "Sink", "Stop")
    })))

/** The Sink adds up the values; it answers each with `Ready`. */
export const sink = Role.implement(Streaming, "Sink", {
  send: { Ready: () => ({}) },
  recv: { Value: (sum: number, v: number) => sum + v, Stop: (sum: number) => sum }
}, 0)

/** The Source as projected: value i is i, and it waits for a `Ready` after each. */
export const sourceProjected = (values: number) =>
  Role.program(Streaming, "Source", (ch) =>
    Effect.gen(function*() {
      let ep = ch
      for (let i = 0;; i++) {
        if (i === values) return yield* (yield* (yield* ep.select("stop")).send("Sink", "Stop", {})).close(i)
        const sent = yield* (yield* ep.select("more")).send("Sink", "Value", i)
        const [, next] = yield* sent.recv("Sink", "Ready")
        ep = next
      }
    }))

const { send, recv, choose, rec, var: v } = Role.local(Streaming)

/** One more value sent ahead, then `k`. */
const valueAhead = <K extends Role.DeclaredLocal>(k: K) => choose("more", { more: send("Sink", "Value", k) })
/** One of the `Ready`s still owed, then `k`. */
const readyOwed = <K extends Role.DeclaredLocal>(k: K) => recv("Sink", "Ready", k)

/**
 * The optimised Source's local type: 5 values sent before the first `Ready`, then one value
 * per `Ready`; when it stops, the 5 `Ready`s it is owed, then `Stop`.
 */
export const sourceAheadType = valueAhead(valueAhead(valueAhead(valueAhead(valueAhead(
  rec("Y", choose("more", {
    more: send("Sink", "Value", recv("Sink", "Ready", v("Y"))),
    stop: readyOwed(readyOwed(readyOwed(readyOwed(readyOwed(send("Sink", "Stop"))))))
  }))
)))))

/** The optimised Source (`values` ≥ 5): its endpoints follow `sourceAheadType`. */
export const sourceAhead = (values: number) =>
  Role.program(Streaming, "Source", { local: sourceAheadType, bound: 5 }, (ch) =>
    Effect.gen(function*() {
      const c1 = yield* (yield* ch.select("more")).send("Sink", "Value", 0)
      const c2 = yield* (yield* c1.select("more")).send("Sink", "Value", 1)
      const c3 = yield* (yield* c2.select("more")).send("Sink", "Value", 2)
      const c4 = yield* (yield* c3.select("more")).send("Sink", "Value", 3)
      let ep = yield* (yield* c4.select("more")).send("Sink", "Value", 4)
      for (let i = 5;; i++) {
        if (i === values) {
          const [, r1] = yield* (yield* ep.select("stop")).recv("Sink", "Ready")
          const [, r2] = yield* r1.recv("Sink", "Ready")
          const [, r3] = yield* r2.recv("Sink", "Ready")
          const [, r4] = yield* r3.recv("Sink", "Ready")
          const [, r5] = yield* r4.recv("Sink", "Ready")
          return yield* (yield* r5.send("Sink", "Stop", {})).close(i)
        }
        const sent = yield* (yield* ep.select("more")).send("Sink", "Value", i)
        const [, next] = yield* sent.recv("Sink", "Ready")
        ep = next
      }
    }))

/** A Source that waits for a `Ready` before its first value: refused at definition. */
export const refused = (): string => {
  try {
    Role.program(Streaming, "Source", { local: recv("Sink", "Ready", choose("more", { more: send("Sink", "Value") })) }, (ch) => Effect.die(ch))
    return "accepted"
  } catch (e) {
    if (e instanceof DeclaredTypeError) return e.message
    throw e
  }
}

export const main = Effect.gen(function*() {
  const optimised = yield* Session.run(Streaming, { Source: sourceAhead(20), Sink: sink })
  const projected = yield* Session.run(Streaming, { Source: sourceProjected(20), Sink: sink })
  if (optimised.Sink !== projected.Sink || optimised.Sink !== 190) throw new Error(`the runs differ: ${optimised.Sink} vs ${projected.Sink}`)
  // The declared type, model checked with the (projected) Sink: channels of up to 6 messages.
  const model = Check.model(Streaming, { bound: 6, roles: { Source: Role.toLocalType(sourceAheadType) } })
  return { optimised, projected, refused: refused(), model: model._tag }
})

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(main).then((r) => console.log(JSON.stringify(r, null, 2)))
}
