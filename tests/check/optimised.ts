/**
 * Rumpsteak's four optimised shapes as running programs: each protocol carries values, each
 * optimised role has a projected twin that computes the same, so that a run with the declared
 * (optimised) local types and a run with the projections must give equal results.
 */
import { Effect, Schema } from "effect"
import { Protocol, Role } from "../../src/index.js"

const Empty = Schema.Struct({})

// ---------------------------------------------------------------------------------------------
// Ring: A → B → C → A, `laps` times. Every role forwards what it received the lap before (its
// own seed in the first lap), so that a middle role may send before it receives.

export const Ring = Protocol.make("Ring", {
  roles: ["A", "B", "C"],
  messages: { Value: Schema.Number }
}, (g) => g.repeat("laps", (b) => b.msg("A", "B", "Value").msg("B", "C", "Value").msg("C", "A", "Value")))

const ring = Role.local(Ring)

export const ringA = Role.program(Ring, "A", (ch) =>
  Effect.gen(function*() {
    const got: Array<number> = []
    let carry = 1
    let ep = ch
    for (;;) {
      const r = yield* ep.round()
      if (r.label === "done") return yield* r.next.close(got)
      const c1 = yield* r.next.send("B", "Value", carry)
      const [v, c2] = yield* c1.recv("C", "Value")
      got.push(v)
      carry = v
      ep = c2
    }
  }))

/** B as projected: receives, then forwards what it had. */
export const ringB = Role.program(Ring, "B", (ch) =>
  Effect.gen(function*() {
    const got: Array<number> = []
    let carry = 100
    let ep = ch
    for (;;) {
      const r = yield* ep.round()
      if (r.label === "done") return yield* r.next.close(got)
      const [v, c1] = yield* r.next.recv("A", "Value")
      const c2 = yield* c1.send("C", "Value", carry)
      got.push(v)
      carry = v
      ep = c2
    }
  }))

export const ringC = Role.program(Ring, "C", (ch) =>
  Effect.gen(function*() {
    const got: Array<number> = []
    let carry = 200
    let ep = ch
    for (;;) {
      const r = yield* ep.round()
      if (r.label === "done") return yield* r.next.close(got)
      const [v, c1] = yield* r.next.recv("B", "Value")
      const c2 = yield* c1.send("A", "Value", carry)
      got.push(v)
      carry = v
      ep = c2
    }
  }))

export const ringSendFirstType = <const Prev extends "A" | "B", const Next extends "C" | "A">(prev: Prev, next: Next) =>
  ring.rec("laps", ring.rounds("laps", ring.send(next, "Value", ring.recv(prev, "Value", ring.var("laps"))), ring.end))

export const ringRecvFirstType = <const Prev extends "A" | "B" | "C", const Next extends "A" | "B" | "C">(prev: Prev, next: Next) =>
  ring.rec("laps", ring.rounds("laps", ring.recv(prev, "Value", ring.send(next, "Value", ring.var("laps"))), ring.end))

/** B as optimised: sends what it had, then receives (its declared local type). */
export const ringBSendFirst = Role.program(Ring, "B", { local: ringSendFirstType("A", "C") }, (ch) =>
  Effect.gen(function*() {
    const got: Array<number> = []
    let carry = 100
    let ep = ch
    for (;;) {
      const r = yield* ep.round()
      if (r.label === "done") return yield* r.next.close(got)
      const c1 = yield* r.next.send("C", "Value", carry)
      const [v, c2] = yield* c1.recv("A", "Value")
      got.push(v)
      carry = v
      ep = c2
    }
  }))

export const ringCSendFirst = Role.program(Ring, "C", { local: ringSendFirstType("B", "A") }, (ch) =>
  Effect.gen(function*() {
    const got: Array<number> = []
    let carry = 200
    let ep = ch
    for (;;) {
      const r = yield* ep.round()
      if (r.label === "done") return yield* r.next.close(got)
      const c1 = yield* r.next.send("A", "Value", carry)
      const [v, c2] = yield* c1.recv("B", "Value")
      got.push(v)
      carry = v
      ep = c2
    }
  }))

// ---------------------------------------------------------------------------------------------
// Double buffering: the Kernel asks the Source for a value (`Ready`), doubles it for the Sink,
// and waits for the Sink's `Ready`; the optimised Kernel has two `Ready`s out at once.

export const DoubleBuffering = Protocol.make("DoubleBuffering", {
  roles: ["Source", "Kernel", "Sink"],
  messages: { Ready: Empty, Value: Schema.Number, Stop: Empty }
}, (g) =>
  g.loop("frames", (l) =>
    l.choice("Kernel", "more", {
      more: (b) =>
        b
          .msg("Kernel", "Source", "Ready")
          .msg("Source", "Kernel", "Value")
          .msg("Kernel", "Sink", "Value")
          .msg("Sink", "Kernel", "Ready")
          .recur("frames"),
      stop: (b) => b.msg("Kernel", "Source", "Stop").msg("Kernel", "Sink", "Stop")
    })))

/** The Source answers the k-th `Ready` with k × 10 (from 1). */
export const bufferSource = Role.implement(DoubleBuffering, "Source", {
  send: { Value: (k: number) => k * 10 },
  recv: { Ready: (k: number) => k + 1, Stop: (k: number) => k }
}, 0)

/** The Sink adds up what it gets. */
export const bufferSink = Role.implement(DoubleBuffering, "Sink", {
  send: { Ready: () => ({}) },
  recv: { Value: (sum: number, v: number) => sum + v, Stop: (sum: number) => sum }
}, 0)

/** The Kernel as projected: one frame at a time (`frames` ≥ 1). */
export const kernelProjected = (frames: number) =>
  Role.program(DoubleBuffering, "Kernel", (ch) =>
    Effect.gen(function*() {
      const seen: Array<number> = []
      let ep = ch
      for (;;) {
        if (seen.length === frames) {
          const end = yield* (yield* (yield* ep.select("stop")).send("Source", "Stop", {})).send("Sink", "Stop", {})
          return yield* end.close(seen)
        }
        const c1 = yield* (yield* ep.select("more")).send("Source", "Ready", {})
        const [v, c2] = yield* c1.recv("Source", "Value")
        const c3 = yield* c2.send("Sink", "Value", v * 2)
        const [, c4] = yield* c3.recv("Sink", "Ready")
        seen.push(v)
        ep = c4
      }
    }))

const buffer = Role.local(DoubleBuffering)

/** The Kernel with two buffers: a second `Ready` goes to the Source before the first value is in. */
export const kernelTwoReadysType = (() => {
  const { send, recv, choose, rec, var: v } = buffer
  return choose("more", {
    more: send(
      "Source",
      "Ready",
      rec(
        "Y",
        choose("more", {
          more: send("Source", "Ready", recv("Source", "Value", send("Sink", "Value", recv("Sink", "Ready", v("Y"))))),
          stop: recv("Source", "Value", send("Sink", "Value", recv("Sink", "Ready", send("Source", "Stop", send("Sink", "Stop")))))
        })
      )
    )
  })
})()

export const kernelTwoReadys = (frames: number) =>
  Role.program(DoubleBuffering, "Kernel", { local: kernelTwoReadysType }, (ch) =>
    Effect.gen(function*() {
      const seen: Array<number> = []
      let ep = yield* (yield* ch.select("more")).send("Source", "Ready", {})
      let asked = 1
      for (;;) {
        if (asked === frames) {
          const [v, c1] = yield* (yield* ep.select("stop")).recv("Source", "Value")
          const c2 = yield* c1.send("Sink", "Value", v * 2)
          const [, c3] = yield* c2.recv("Sink", "Ready")
          seen.push(v)
          const end = yield* (yield* c3.send("Source", "Stop", {})).send("Sink", "Stop", {})
          return yield* end.close(seen)
        }
        const c1 = yield* (yield* ep.select("more")).send("Source", "Ready", {})
        asked++
        const [v, c2] = yield* c1.recv("Source", "Value")
        const c3 = yield* c2.send("Sink", "Value", v * 2)
        const [, c4] = yield* c3.recv("Sink", "Ready")
        seen.push(v)
        ep = c4
      }
    }))

// ---------------------------------------------------------------------------------------------
// Streaming: the Source decides to send one more value, which the Sink acknowledges with
// `Ready`; the optimised Source has 5 values out before the first `Ready`.

export const Streaming = Protocol.make("Streaming", {
  roles: ["Source", "Sink"],
  messages: { Value: Schema.Number, Ready: Empty, Stop: Empty }
}, (g) =>
  g.loop("stream", (l) =>
    l.choice("Source", "more", {
      more: (b) => b.msg("Source", "Sink", "Value").msg("Sink", "Source", "Ready").recur("stream"),
      stop: (b) => b.msg("Source", "Sink", "Stop")
    })))

export const streamSink = Role.implement(Streaming, "Sink", {
  send: { Ready: () => ({}) },
  recv: { Value: (sum: number, v: number) => sum + v, Stop: (sum: number) => sum }
}, 0)

/** The Source as projected: value i is i (from 0), one `Ready` awaited after each. */
export const sourceProjected = (values: number) =>
  Role.program(Streaming, "Source", (ch) =>
    Effect.gen(function*() {
      let ep = ch
      for (let i = 0;; i++) {
        if (i === values) return yield* (yield* (yield* ep.select("stop")).send("Sink", "Stop", {})).close(i)
        const c1 = yield* (yield* ep.select("more")).send("Sink", "Value", i)
        const [, c2] = yield* c1.recv("Sink", "Ready")
        ep = c2
      }
    }))

const stream = Role.local(Streaming)
const { send, recv, choose, rec, var: v } = stream

const oneAhead = <K extends Role.DeclaredLocal>(k: K) => choose("more", { more: send("Sink", "Value", k) })
const oneReady = <K extends Role.DeclaredLocal>(k: K) => recv("Sink", "Ready", k)

/** The Source with 5 values in flight: 5 sent before the first `Ready`, then one per `Ready`, then the last 5 `Ready`s. */
export const sourceAheadType = oneAhead(oneAhead(oneAhead(oneAhead(oneAhead(
  rec("Y", choose("more", {
    more: send("Sink", "Value", recv("Sink", "Ready", v("Y"))),
    stop: oneReady(oneReady(oneReady(oneReady(oneReady(send("Sink", "Stop"))))))
  }))
)))))

/** The optimised Source (`values` ≥ 5). */
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
        const s = yield* (yield* ep.select("more")).send("Sink", "Value", i)
        const [, next] = yield* s.recv("Sink", "Ready")
        ep = next
      }
    }))

// ---------------------------------------------------------------------------------------------
// FFT butterflies of four: P0↔P1 and P2↔P3 exchange their inputs, then P0↔P2 and P1↔P3 their
// partial results; the lower index keeps the sum, the higher the difference.

export const Butterfly = Protocol.make("Butterfly", {
  roles: ["P0", "P1", "P2", "P3"],
  messages: { X1: Schema.Number, X2: Schema.Number }
}, (g) =>
  g
    .msg("P0", "P1", "X1").msg("P1", "P0", "X1")
    .msg("P2", "P3", "X1").msg("P3", "P2", "X1")
    .msg("P0", "P2", "X2").msg("P2", "P0", "X2")
    .msg("P1", "P3", "X2").msg("P3", "P1", "X2"))

export const partners = { P0: ["P1", "P2"], P1: ["P0", "P3"], P2: ["P3", "P0"], P3: ["P2", "P1"] } as const
export const inputs = { P0: 1, P1: 2, P2: 5, P3: 11 } as const

const fft = Role.local(Butterfly)

export const butterflySendFirstType = <const A extends "P0" | "P1" | "P2" | "P3", const B extends "P0" | "P1" | "P2" | "P3">(a: A, b: B) =>
  fft.send(a, "X1", fft.recv(a, "X1", fft.send(b, "X2", fft.recv(b, "X2"))))

export const butterflyRecvFirstType = <const A extends "P0" | "P1" | "P2" | "P3", const B extends "P0" | "P1" | "P2" | "P3">(a: A, b: B) =>
  fft.recv(a, "X1", fft.send(a, "X1", fft.recv(b, "X2", fft.send(b, "X2"))))

type Fft = "P0" | "P1" | "P2" | "P3"
const index = (r: Fft) => Number(r.slice(1))
const combine = (me: Fft, peer: Fft, mine: number, theirs: number) => (index(me) < index(peer) ? mine + theirs : theirs - mine)

/** A butterfly role that sends first in both exchanges (declared). */
export const butterflySendFirst = <const R extends Fft>(me: R) => {
  const [a, b] = partners[me]
  return Role.program(Butterfly, me, { local: butterflySendFirstType(a, b) }, (ch) =>
    Effect.gen(function*() {
      const c1 = yield* ch.send(a, "X1", inputs[me])
      const [x, c2] = yield* c1.recv(a, "X1")
      const s1 = combine(me, a, inputs[me], x)
      const c3 = yield* c2.send(b, "X2", s1)
      const [y, c4] = yield* c3.recv(b, "X2")
      return yield* c4.close(combine(me, b, s1, y))
    }))
}

/** The same butterfly, as projected: in each exchange the lower index sends first. */
export const butterflyProjected = <const R extends Fft>(me: R) => {
  const [a, b] = partners[me]
  return Role.program(Butterfly, me, (ch) =>
    Effect.gen(function*() {
      // The endpoint's type is the union of the four roles' projections: walked loosely.
      const e = ch as unknown as Loose
      let s1: number
      let c2: Loose
      if (index(me) < index(a)) {
        const c1 = yield* e.send(a, "X1", inputs[me])
        const [x, next] = yield* c1.recv(a, "X1")
        s1 = combine(me, a, inputs[me], x)
        c2 = next
      } else {
        const [x, c1] = yield* e.recv(a, "X1")
        c2 = yield* c1.send(a, "X1", inputs[me])
        s1 = combine(me, a, inputs[me], x)
      }
      let s2: number
      let end: Loose
      if (index(me) < index(b)) {
        const c3 = yield* c2.send(b, "X2", s1)
        const [y, next] = yield* c3.recv(b, "X2")
        s2 = combine(me, b, s1, y)
        end = next
      } else {
        const [y, c3] = yield* c2.recv(b, "X2")
        end = yield* c3.send(b, "X2", s1)
        s2 = combine(me, b, s1, y)
      }
      return yield* (end.close(s2) as Effect.Effect<import("../../src/index.js").Done<number>>)
    }))
}

/** An endpoint walked without its precise type (a program written once for several roles). */
interface Loose {
  send(to: string, label: string, payload: number): Effect.Effect<Loose, import("../../src/index.js").RoleError>
  recv(from: string, label: string): Effect.Effect<readonly [number, Loose], import("../../src/index.js").RoleError>
  close(result: number): Effect.Effect<unknown, import("../../src/index.js").RoleError>
}
