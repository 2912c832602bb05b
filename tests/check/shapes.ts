/**
 * Rumpsteak's four reordering shapes, as protocols and as the optimised local types their
 * roles may follow instead of the projections (finite versions: every loop here can be left).
 */
import { Schema } from "effect"
import { Check, Protocol } from "../../src/index.js"

const { send, recv, choose, offer, rec, rounds, end } = Check.local
const v = Check.local.var
const M = Schema.Struct({})

/** A ring A → B → C → A, repeated `laps` times. */
export const Ring = Protocol.make("Ring", {
  roles: ["A", "B", "C"],
  messages: { Value: M }
}, (g) => g.repeat("laps", (b) => b.msg("A", "B", "Value").msg("B", "C", "Value").msg("C", "A", "Value")))

/** A middle role of the ring that sends before it receives (each lap). */
export const ringSendFirst = (me: string, prev: string, next: string) =>
  rec("laps", rounds("laps", send(next, "Value", recv(prev, "Value", v("laps"))), end))

/** A role of the ring that receives before it sends (each lap). */
export const ringRecvFirst = (me: string, prev: string, next: string) =>
  rec("laps", rounds("laps", recv(prev, "Value", send(next, "Value", v("laps"))), end))

/**
 * Double buffering: the Kernel asks the Source for a value (`Ready`), passes it on to the
 * Sink, and waits for the Sink's `Ready`, while it decides to go on.
 */
export const DoubleBuffering = Protocol.make("DoubleBuffering", {
  roles: ["Source", "Kernel", "Sink"],
  messages: { Ready: M, Value: M, Stop: M }
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

/** The Kernel with two buffers: two `Ready`s to the Source before it receives the first value. */
export const kernelTwoReadys = (() => {
  const drain = recv("Source", "Value", send("Sink", "Value", recv("Sink", "Ready")))
  const y = rec(
    "Y",
    choose("more", {
      more: send("Source", "Ready", recv("Source", "Value", send("Sink", "Value", recv("Sink", "Ready", v("Y"))))),
      stop: seq(drain, send("Source", "Stop", send("Sink", "Stop")))
    })
  )
  return choose("more", { more: send("Source", "Ready", y) })
})()

/** Streaming: the Source decides to send one more value, which the Sink acknowledges with `Ready`. */
export const Streaming = Protocol.make("Streaming", {
  roles: ["Source", "Sink"],
  messages: { Value: M, Ready: M, Stop: M }
}, (g) =>
  g.loop("stream", (l) =>
    l.choice("Source", "more", {
      more: (b) => b.msg("Source", "Sink", "Value").msg("Sink", "Source", "Ready").recur("stream"),
      stop: (b) => b.msg("Source", "Sink", "Stop")
    })))

/** A Source that sends `ahead` values before its first `Ready`, and keeps that many in flight. */
export const sourceAhead = (ahead: number) => {
  let drain: Check.LocalType = send("Sink", "Stop")
  for (let i = 0; i < ahead; i++) drain = recv("Sink", "Ready", drain)
  const y = rec("Y", choose("more", { more: send("Sink", "Value", recv("Sink", "Ready", v("Y"))), stop: drain }))
  let t: Check.LocalType = y
  for (let i = 0; i < ahead; i++) t = choose("more", { more: send("Sink", "Value", t) })
  return t
}

/** An FFT butterfly of four: P0↔P1 and P2↔P3 exchange, then P0↔P2 and P1↔P3. */
export const Butterfly = Protocol.make("Butterfly", {
  roles: ["P0", "P1", "P2", "P3"],
  messages: { X1: M, X2: M }
}, (g) =>
  g
    .msg("P0", "P1", "X1").msg("P1", "P0", "X1")
    .msg("P2", "P3", "X1").msg("P3", "P2", "X1")
    .msg("P0", "P2", "X2").msg("P2", "P0", "X2")
    .msg("P1", "P3", "X2").msg("P3", "P1", "X2"))

/** A butterfly role that sends first in both exchanges. */
export const butterflySendFirst = (first: string, second: string) =>
  send(first, "X1", recv(first, "X1", send(second, "X2", recv(second, "X2"))))

/** A butterfly role that receives first in both exchanges. */
export const butterflyRecvFirst = (first: string, second: string) =>
  recv(first, "X1", send(first, "X1", recv(second, "X2", send(second, "X2"))))

/** Partners of each butterfly role, stage by stage. */
export const partners = { P0: ["P1", "P2"], P1: ["P0", "P3"], P2: ["P3", "P0"], P3: ["P2", "P1"] } as const

/** `a` with `b` in place of its `End`s. */
function seq(a: Check.LocalType, b: Check.LocalType): Check.LocalType {
  switch (a._tag) {
    case "End":
      return b
    case "Send":
      return { ...a, next: seq(a.next, b) }
    case "Recv":
      return { ...a, next: seq(a.next, b) }
    case "Offer":
      return offer(a.from, Object.fromEntries(Object.entries(a.branches).map(([l, k]) => [l, seq(k, b)])))
    default:
      throw new Error(`seq: ${a._tag}`)
  }
}
