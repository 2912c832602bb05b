/**
 * The PingPong protocol of the benchmarks (bench/ping-pong.ts, bench/redis.ts; bench/tcp.ts
 * has its own copy, as it loads Quadrille from a directory it is given):
 *
 *   loop rounds { A -> B : Ping; B -> A : Pong; choice 'again' at A { more: recur, stop: A -> B : Stop } }
 *
 * Both roles have state Schemas, so that they also run durably (`Role.resume`).
 */
import { Effect, Schema } from "effect"
import { Protocol, Role } from "../src/index.js"

export const PingPong = Protocol.make("PingPong", {
  roles: ["A", "B"],
  messages: { Ping: Schema.Number, Pong: Schema.Number, Stop: Schema.Number }
}, (g) =>
  g.loop("rounds", (r) =>
    r
      .msg("A", "B", "Ping")
      .msg("B", "A", "Pong")
      .choice("A", "again", {
        more: (b) => b.recur("rounds"),
        stop: (b) => b.msg("A", "B", "Stop")
      })))

/** A's state: the number of completed round trips. */
export const playerA = (rounds: number) =>
  Role.implement(PingPong, "A", {
    send: { Ping: (n) => n, Stop: (n) => n },
    recv: { Pong: (_, reply) => reply + 1 },
    choose: { again: (n) => (n < rounds ? "more" : "stop") }
  }, 0, { state: Schema.Number })

/** B's state: the last number received. */
export const playerB = Role.implement(PingPong, "B", {
  send: { Pong: (n) => n },
  recv: { Ping: (_, n) => n, Stop: (_, n) => n }
}, -1, { state: Schema.Number })

/** A as a hand-written program (`Role.program`): the same exchange as `playerA`; its result is the round trips done. */
export const programA = (rounds: number) =>
  Role.program(PingPong, "A", (ch) =>
    Effect.gen(function*() {
      let at = ch
      let n = 0
      for (;;) {
        const c1 = yield* at.send("B", "Ping", n)
        const [reply, c2] = yield* c1.recv("B", "Pong")
        n = reply + 1
        if (n < rounds) {
          at = yield* c2.select("more")
        } else {
          const c3 = yield* c2.select("stop")
          const c4 = yield* c3.send("B", "Stop", n)
          return yield* c4.close(n)
        }
      }
    }))

/** B as a hand-written program: its result is the number in the Stop message. */
export const programB = Role.program(PingPong, "B", (ch) =>
  Effect.gen(function*() {
    const [first, c0] = yield* ch.recv("A", "Ping")
    let n = first
    let at = c0
    for (;;) {
      const c1 = yield* at.send("A", "Pong", n)
      const m = yield* c1.offer()
      if (m.label === "Stop") return yield* m.next.close(m.payload)
      n = m.payload
      at = m.next
    }
  }))
