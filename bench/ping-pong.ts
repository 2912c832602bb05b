/**
 * Ping-pong benchmark: Quadrille (`Protocol.make` + `Role.implement` or `Role.program` +
 * `Session.run` on the default in-memory transport) against the same exchange written by hand
 * in Effect (the fastest such program is the headline baseline), in the same process and on
 * the same Effect runtime.
 *
 *   loop rounds {
 *     A -> B : Ping (number)
 *     B -> A : Pong (number)
 *     choice 'again' at A { more: recur(rounds), stop: A -> B : Stop (number) }
 *   }
 *
 * B learns whether A went round again from the label of the next message (Ping or Stop).
 * Every run checks its result (both sides end at ROUNDS), so a run that did nothing cannot
 * pass for a fast one.
 *
 * Cases, run alternately after a warm-up:
 *   fastest             THE HEADLINE BASELINE: hand-written, two one-slot `Effect.async` channels,
 *                       the fastest hand-written Effect program for this exchange we know of
 *   generator-steps     reference for `program`: `fastest-steps` with each synchronous step a `yield*` of an
 *                       iterator that finishes at once (no Effect, nothing allocated per step)
 *   endpoint-steps      reference for `program`: `generator-steps` through linear endpoints by hand (one
 *                       object per operation, a fresh endpoint after it, a pair per receive)
 *   fastest+checks      a bound for `Role.implement`'s design: `fastest` sending Quadrille's frames, routed
 *                       through session and role maps, with the receiver's checks on each by hand
 *   fastest-steps       reference for `program`: `fastest` with every protocol step one `yield*` of an
 *                       Effect, as a program over endpoints takes its steps
 *   promise             the floor: no Effect, two async functions over one-slot Promise channels
 *   raw                 reference: hand-written, two unbounded `Queue`s (the old baseline)
 *   raw-mailbox         reference: the same hand-written program over two Effect `Mailbox`es
 *   raw-wake            reference: the same program over two minimal hand-rolled mailboxes built
 *                       like Quadrille's in-memory transport, to isolate Quadrille's own overhead
 *   quadrille           Session.run of two `Role.implement`s, payloads passed as they are
 *   program             Session.run of two hand-written `Role.program`s (bench/ping-pong-protocol.ts)
 *   quadrille+validate  Session.run with `validate: true` (Schema encode + decode of every payload)
 *   quadrille+reliable  Session.run over the reliable-delivery layer on the in-memory transport
 *                       (acks, retransmission timers, dedup; wall clock), ROUNDS/10 round trips
 *   fastest+relays      a bound for the reliable layer's design: `fastest` with its hops (each message
 *                       through the receiver's intake fiber, and acknowledged to the sender's)
 *   simulated           the same session under `simulate` (deterministic network, seed 1, the
 *                       simulator's scheduler and virtual clock), ROUNDS/10 round trips per run
 *   simulated+reliable  the same over the reliable-delivery layer (acks, retransmission timers,
 *                       dedup), no faults
 *
 * Usage: `npm run bench`
 * Env: ROUNDS (100000), RUNS (7), WARMUP (2), VALIDATE (1; 0 drops that case),
 *      ONLY=<case>[,<case>…] to run those cases alone (for profiling), JSON=1 to print the
 *      medians as a line of JSON too (bench/isolated.ts runs each case in its own process).
 */
import { Effect, Fiber, Layer, Mailbox, Queue } from "effect"
import { Memory, Reliable, Session } from "../src/index.js"
import { PingPong, playerA, playerB, programA, programB } from "./ping-pong-protocol.js"
import { Slot } from "./slot.js"
import { simulate } from "../src/testing/index.js"

const ROUNDS = Number(process.env.ROUNDS ?? 100_000)
const RUNS = Number(process.env.RUNS ?? 7)
const WARMUP = Number(process.env.WARMUP ?? 2)
const VALIDATE = (process.env.VALIDATE ?? "1") !== "0"

const wrong = (who: string, got: unknown, rounds: number) =>
  Effect.die(new Error(`${who}: wrong result ${JSON.stringify(got)}, expected ${rounds} on both sides`))

// ---------------------------------------------------------------------------------------
// Quadrille

const quadrille = (rounds: number, validate: boolean) =>
  Effect.flatMap(
    Session.run(PingPong, { A: playerA(rounds), B: playerB }, { validate }),
    (r) => (r.A === rounds && r.B === rounds ? Effect.void : wrong("quadrille", r, rounds))
  )

/** The same session with both roles written by hand with `Role.program` (same protocol and transport). */
const quadrilleProgram = (rounds: number) =>
  Effect.flatMap(
    Session.run(PingPong, { A: programA(rounds), B: programB }),
    (r) => (r.A === rounds && r.B === rounds ? Effect.void : wrong("program", r, rounds))
  )

// ---------------------------------------------------------------------------------------
// Hand-written: the same exchange and the same stop message, no Quadrille.

type ToB = { readonly _tag: "Ping"; readonly n: number } | { readonly _tag: "Stop"; readonly n: number }
type ToA = { readonly _tag: "Pong"; readonly n: number }

// `fastest` and `rawWake` are the same program over two channel classes, written out twice on
// purpose: one function over both would make the headline baseline's calls polymorphic.
const fastest = (rounds: number) =>
  Effect.gen(function*() {
    const toB = new Slot<ToB>()
    const toA = new Slot<ToA>()
    const a = Effect.gen(function*() {
      let n = 0
      while (n < rounds) {
        toB.offer({ _tag: "Ping", n })
        const pong = yield* toA.take
        n = pong.n + 1
      }
      toB.offer({ _tag: "Stop", n })
      return n
    })
    const b = Effect.gen(function*() {
      for (;;) {
        const m = yield* toB.take
        if (m._tag === "Stop") return m.n
        toA.offer({ _tag: "Pong", n: m.n })
      }
    })
    const [ra, rb] = yield* Effect.all([a, b], { concurrency: "unbounded" })
    if (ra !== rounds || rb !== rounds) return yield* wrong("fastest", [ra, rb], rounds)
  })

/**
 * The `fastest` program as a program over endpoints is written: every step of the protocol
 * (send, receive, choice) one `yield*` of a lazy Effect (`Effect.sync` for a send or a choice),
 * as `Role.program`'s endpoints are. Against `fastest` (plain calls between its waits, as
 * `Role.implement` takes its synchronous steps), what one Effect per step costs by hand: a
 * reference for `program / quadrille`.
 */
const fastestSteps = (rounds: number) =>
  Effect.gen(function*() {
    const toB = new Slot<ToB>()
    const toA = new Slot<ToA>()
    const a = Effect.gen(function*() {
      let n = 0
      for (;;) {
        yield* Effect.sync(() => toB.offer({ _tag: "Ping", n }))
        const pong = yield* toA.take
        n = pong.n + 1
        const more = yield* Effect.sync(() => n < rounds)
        if (!more) break
      }
      yield* Effect.sync(() => toB.offer({ _tag: "Stop", n }))
      return n
    })
    const b = Effect.gen(function*() {
      for (;;) {
        const m = yield* toB.take
        if (m._tag === "Stop") return m.n
        yield* Effect.sync(() => toA.offer({ _tag: "Pong", n: m.n }))
      }
    })
    const [ra, rb] = yield* Effect.all([a, b], { concurrency: "unbounded" })
    if (ra !== rounds || rb !== rounds) return yield* wrong("fastest-steps", [ra, rb], rounds)
  })

/**
 * What a program written as a generator with one `yield*` per protocol step costs at the least:
 * `fastest-steps` with each synchronous step (a send, a choice) a `yield*` of one iterator,
 * made once and finished at once with the step's value (no Effect, no object per step); the
 * waits are the same Effects as in `fastest`. Against `fastest`, the cost of the program's own
 * shape (a generator resumed at every step, `yield*` delegation); a reference for `program`.
 */
/** An iterator that `yield*` finishes at once with `value` (its own `IteratorResult`). */
class Finished<A> {
  readonly done = true
  constructor(public value: A) {}
  next(): IteratorResult<never, A> {
    return this as unknown as IteratorResult<never, A>
  }
  [Symbol.iterator]() {
    return this
  }
}
const generatorSteps = (rounds: number) =>
  Effect.gen(function*() {
    const toB = new Slot<ToB>()
    const toA = new Slot<ToA>()
    const now = new Finished<unknown>(undefined)
    const step = <A>(a: A): Iterable<never, A> => {
      now.value = a
      return now as unknown as Iterable<never, A>
    }
    const a = Effect.gen(function*() {
      let n = 0
      for (;;) {
        yield* step(toB.offer({ _tag: "Ping", n }))
        const pong = yield* toA.take
        n = pong.n + 1
        const more = yield* step(n < rounds)
        if (!more) break
      }
      yield* step(toB.offer({ _tag: "Stop", n }))
      return n
    })
    const b = Effect.gen(function*() {
      for (;;) {
        const m = yield* toB.take
        if (m._tag === "Stop") return m.n
        yield* step(toA.offer({ _tag: "Pong", n: m.n }))
      }
    })
    const [ra, rb] = yield* Effect.all([a, b], { concurrency: "unbounded" })
    if (ra !== rounds || rb !== rounds) return yield* wrong("generator-steps", [ra, rb], rounds)
  })

/**
 * What a linear endpoint API costs at the least, by hand: `generator-steps` where every
 * operation is made on an endpoint that may be used once (checked), and answers with a fresh
 * endpoint (a receive: a fresh pair of the message and the endpoint), through an object per
 * operation that `yield*` takes and that finishes at once. The objects `Role.program` must
 * make per step (an operation, the next endpoint, a receive's pair), with none of its
 * protocol work (no automaton, frames or checks); the waits are `fastest`'s. A reference for
 * `program`.
 */
class HandEndpoint {
  private spent = false
  constructor(readonly step: number) {}
  /** The operation that goes on to the next endpoint, with `answer` of it. */
  use<A>(answer: (next: HandEndpoint) => A): Finished<A> {
    if (this.spent) throw new Error("endpoint-steps: an endpoint used twice")
    this.spent = true
    return new Finished(answer(new HandEndpoint(this.step + 1)))
  }
}
const endpointSteps = (rounds: number) =>
  Effect.gen(function*() {
    const toB = new Slot<ToB>()
    const toA = new Slot<ToA>()
    const same = (e: HandEndpoint) => e
    const a = Effect.gen(function*() {
      let at = new HandEndpoint(0)
      let n = 0
      for (;;) {
        toB.offer({ _tag: "Ping", n })
        const c1 = yield* at.use(same)
        const pong = yield* toA.take
        const [reply, c2] = yield* c1.use((next) => [pong.n, next] as const)
        n = reply + 1
        at = yield* c2.use(same)
        if (n >= rounds) break
      }
      toB.offer({ _tag: "Stop", n })
      yield* at.use(same)
      return n
    })
    const b = Effect.gen(function*() {
      let at = new HandEndpoint(0)
      for (;;) {
        const m = yield* toB.take
        const [got, c1] = yield* at.use((next) => [m, next] as const)
        if (got._tag === "Stop") return got.n
        toA.offer({ _tag: "Pong", n: got.n })
        at = yield* c1.use(same)
      }
    })
    const [ra, rb] = yield* Effect.all([a, b], { concurrency: "unbounded" })
    if (ra !== rounds || rb !== rounds) return yield* wrong("endpoint-steps", [ra, rb], rounds)
  })

/**
 * A bound for `Role.implement`'s design: the `fastest` program, sending the frame Quadrille
 * sends and making, by hand, the checks Quadrille's receiver makes on every frame, with no
 * automaton, handlers or interpreter. Each message is an envelope (session, sender,
 * addressee, label, site, loop counter, sequence number, payload) routed through a map of
 * sessions and a map of roles, as the in-memory transport routes (and checks both roles are
 * the session's); the receiver checks the session, the addressee and the lane, the sequence
 * number, the label among those it waits for, the site, and the loop counter, then numbers
 * the next one. What is left between this and `quadrille` is the interpreter (the automaton,
 * the handlers, the Effect it returns where it waits); between this and `fastest`, the frame
 * and its checks.
 */
interface Frame<M> {
  readonly session: string
  readonly from: string
  readonly to: string
  readonly label: string
  readonly site: string
  readonly lane?: string
  readonly loops: Readonly<Record<string, number>>
  readonly seq: number
  readonly payload: M
}
/** What a receive waits for: the labels it takes, each with its sites. */
type Expecting = ReadonlyMap<string, ReadonlySet<string>>
const checkedFrames = (rounds: number) =>
  Effect.gen(function*() {
    const session = `s${Math.random()}`
    const toB = new Slot<Frame<number>>()
    const toA = new Slot<Frame<number>>()
    const sessions = new Map([[session, { roles: new Set(["A", "B"]), boxes: new Map([["A", toA], ["B", toB]]) }]])
    const route = (f: Frame<number>): void => {
      const s = sessions.get(f.session)
      if (s === undefined || !s.roles.has(f.to) || !s.roles.has(f.from)) throw new Error("no such session or role")
      s.boxes.get(f.to)!.offer(f)
    }
    const check = (f: Frame<number>, me: string, from: string, seq: number, expecting: Expecting, round: number): void => {
      if (f.session !== session || f.to !== me || (f.lane ?? "") !== "") throw new Error("misaddressed")
      if (f.from !== from || f.seq !== seq) throw new Error("wrong sequence number")
      const sites = expecting.get(f.label)
      if (sites === undefined || !sites.has(f.site)) throw new Error("unexpected label or site")
      for (const loop in f.loops) {
        if (!Object.prototype.hasOwnProperty.call(f.loops, loop)) continue
        if (loop === "rounds" && f.loops[loop] !== round) throw new Error("wrong iteration")
      }
    }
    const atA: Expecting = new Map([["Pong", new Set(["1"])]])
    const atB: Expecting = new Map([["Ping", new Set(["0"])], ["Stop", new Set(["2"])]])
    const a = Effect.gen(function*() {
      let n = 0
      let sent = 0
      let received = 0
      while (n < rounds) {
        route({ session, from: "A", to: "B", label: "Ping", site: "0", loops: { rounds: n }, seq: sent++, payload: n })
        const pong = yield* toA.take
        check(pong, "A", "B", received++, atA, n)
        n = pong.payload + 1
      }
      route({ session, from: "A", to: "B", label: "Stop", site: "2", loops: { rounds: n }, seq: sent++, payload: n })
      return n
    })
    const b = Effect.gen(function*() {
      let sent = 0
      let received = 0
      for (let round = 0;; round++) {
        const m = yield* toB.take
        check(m, "B", "A", received++, atB, round)
        if (m.label === "Stop") return m.payload
        route({ session, from: "B", to: "A", label: "Pong", site: "1", loops: { rounds: round }, seq: sent++, payload: m.payload })
      }
    })
    const [ra, rb] = yield* Effect.all([a, b], { concurrency: "unbounded" })
    if (ra !== rounds || rb !== rounds) return yield* wrong("fastest+checks", [ra, rb], rounds)
  })

/**
 * The `fastest` program with the hops of the reliable layer, as a bound for it: every message
 * goes to the receiver's intake fiber (a minimal FIFO, `WakeBox`), which acknowledges it to the
 * sender's intake fiber and hands it on to the receiver's one-slot channel. So a message wakes
 * three fibers (the receiver's intake, the receiver, the sender's intake), where `fastest`
 * wakes one; nothing else is done (no timers, numbering or de-duplication).
 */
type Relayed<M> = { readonly ack: true } | { readonly ack: false; readonly m: M }
const relayed = (rounds: number) =>
  Effect.gen(function*() {
    const intakeA = new WakeBox<Relayed<ToA>>()
    const intakeB = new WakeBox<Relayed<ToB>>()
    const toA = new Slot<ToA>()
    const toB = new Slot<ToB>()
    let acks = 0
    const intake = <M>(box: WakeBox<Relayed<M>>, lane: Slot<M>, peer: WakeBox<Relayed<never>>) =>
      Effect.forever(Effect.map(box.take, (r) => {
        if (r.ack) acks++
        else {
          peer.offer({ ack: true })
          lane.offer(r.m)
        }
      }))
    const ia = yield* Effect.fork(intake(intakeA, toA, intakeB as WakeBox<Relayed<never>>))
    const ib = yield* Effect.fork(intake(intakeB, toB, intakeA as WakeBox<Relayed<never>>))
    const a = Effect.gen(function*() {
      let n = 0
      while (n < rounds) {
        intakeB.offer({ ack: false, m: { _tag: "Ping", n } })
        const pong = yield* toA.take
        n = pong.n + 1
      }
      intakeB.offer({ ack: false, m: { _tag: "Stop", n } })
      return n
    })
    const b = Effect.gen(function*() {
      for (;;) {
        const m = yield* toB.take
        if (m._tag === "Stop") return m.n
        intakeA.offer({ ack: false, m: { _tag: "Pong", n: m.n } })
      }
    })
    const [ra, rb] = yield* Effect.all([a, b], { concurrency: "unbounded" })
    // The last ack may still be on its way: let the intakes run once more.
    yield* Effect.yieldNow()
    yield* Fiber.interrupt(ia)
    yield* Fiber.interrupt(ib)
    if (ra !== rounds || rb !== rounds || acks < 2 * rounds) return yield* wrong("relayed", [ra, rb, acks], rounds)
  })

/**
 * The floor: no Effect at all, two async functions handing messages over through one-slot
 * Promise channels (a waiting taker's Promise is resolved by the offer).
 */
class PromiseSlot<A> {
  private value: A | undefined = undefined
  private full = false
  private waiter: ((a: A) => void) | undefined = undefined
  offer(a: A): void {
    const w = this.waiter
    if (w !== undefined) {
      this.waiter = undefined
      w(a)
    } else {
      if (this.full) throw new Error("PromiseSlot: a second message before the first was taken")
      this.value = a
      this.full = true
    }
  }
  take(): Promise<A> {
    if (!this.full) return new Promise<A>((resolve) => void (this.waiter = resolve))
    const v = this.value!
    this.full = false
    this.value = undefined
    return Promise.resolve(v)
  }
}

const promiseFloor = (rounds: number) =>
  Effect.flatMap(
    Effect.promise(async () => {
      const toB = new PromiseSlot<ToB>()
      const toA = new PromiseSlot<ToA>()
      const a = async () => {
        let n = 0
        while (n < rounds) {
          toB.offer({ _tag: "Ping", n })
          const pong = await toA.take()
          n = pong.n + 1
        }
        toB.offer({ _tag: "Stop", n })
        return n
      }
      const b = async () => {
        for (;;) {
          const m = await toB.take()
          if (m._tag === "Stop") return m.n
          toA.offer({ _tag: "Pong", n: m.n })
        }
      }
      return Promise.all([a(), b()])
    }),
    ([ra, rb]) => (ra === rounds && rb === rounds ? Effect.void : wrong("promise", [ra, rb], rounds))
  )

/** Two unbounded `Queue`s: a reference (idiomatic, and slow on Node 20: see BENCHMARKS.md). */
const raw = (rounds: number) =>
  Effect.gen(function*() {
    const toB = yield* Queue.unbounded<ToB>()
    const toA = yield* Queue.unbounded<ToA>()
    const a = Effect.gen(function*() {
      let n = 0
      while (n < rounds) {
        yield* Queue.offer(toB, { _tag: "Ping", n })
        const pong = yield* Queue.take(toA)
        n = pong.n + 1
      }
      yield* Queue.offer(toB, { _tag: "Stop", n })
      return n
    })
    const b = Effect.gen(function*() {
      for (;;) {
        const m = yield* Queue.take(toB)
        if (m._tag === "Stop") return m.n
        yield* Queue.offer(toA, { _tag: "Pong", n: m.n })
      }
    })
    const [ra, rb] = yield* Effect.all([a, b], { concurrency: "unbounded" })
    if (ra !== rounds || rb !== rounds) return yield* wrong("raw", [ra, rb], rounds)
  })

/**
 * The same program over two Effect `Mailbox`es, as a reference: a waiting `take` there is an
 * `Effect.async`, as in Quadrille's in-memory transport, where a waiting `Queue.take`
 * allocates a `Deferred` (see BENCHMARKS.md).
 */
const rawMailbox = (rounds: number) =>
  Effect.gen(function*() {
    const toB = yield* Mailbox.make<ToB>()
    const toA = yield* Mailbox.make<ToA>()
    const a = Effect.gen(function*() {
      let n = 0
      while (n < rounds) {
        yield* toB.offer({ _tag: "Ping", n })
        const pong = yield* toA.take
        n = pong.n + 1
      }
      yield* toB.offer({ _tag: "Stop", n })
      return n
    })
    const b = Effect.gen(function*() {
      for (;;) {
        const m = yield* toB.take
        if (m._tag === "Stop") return m.n
        yield* toA.offer({ _tag: "Pong", n: m.n })
      }
    })
    const [ra, rb] = yield* Effect.all([a, b], { concurrency: "unbounded" })
    if (ra !== rounds || rb !== rounds) return yield* wrong("raw-mailbox", [ra, rb], rounds)
  })

/**
 * A minimal mailbox built like Quadrille's in-memory transport (src/handlers/memory.ts): a
 * waiting taker suspends until the next offer wakes it, then takes the message itself.
 */
class WakeBox<A> {
  private readonly items: Array<A> = []
  private waiting: Array<(wake: Effect.Effect<void>) => void> = []
  offer(a: A): void {
    this.items.push(a)
    const waiting = this.waiting
    if (waiting.length > 0) {
      this.waiting = []
      for (const wake of waiting) wake(Effect.void)
    }
  }
  readonly take: Effect.Effect<A> = Effect.suspend(() =>
    this.items.length > 0 ? Effect.succeed(this.items.shift()!) : this.waitAndTake
  )
  private readonly waitAndTake: Effect.Effect<A> = Effect.flatMap(
    Effect.async<void>((wake) => {
      this.waiting.push(wake)
    }),
    () => this.take
  )
}

const rawWake = (rounds: number) =>
  Effect.gen(function*() {
    const toB = new WakeBox<ToB>()
    const toA = new WakeBox<ToA>()
    const a = Effect.gen(function*() {
      let n = 0
      while (n < rounds) {
        toB.offer({ _tag: "Ping", n })
        const pong = yield* toA.take
        n = pong.n + 1
      }
      toB.offer({ _tag: "Stop", n })
      return n
    })
    const b = Effect.gen(function*() {
      for (;;) {
        const m = yield* toB.take
        if (m._tag === "Stop") return m.n
        toA.offer({ _tag: "Pong", n: m.n })
      }
    })
    const [ra, rb] = yield* Effect.all([a, b], { concurrency: "unbounded" })
    if (ra !== rounds || rb !== rounds) return yield* wrong("raw-wake", [ra, rb], rounds)
  })

// ---------------------------------------------------------------------------------------
// Harness

interface Case {
  readonly name: string
  readonly program: (rounds: number) => Effect.Effect<void, unknown>
  /** Round trips per run, when not ROUNDS (the simulated cases are slower). */
  readonly rounds?: number
}

/** The same session on the simulator (seeded delivery, its own scheduler): the cost of simulating. */
const simulated = (rounds: number, reliable: boolean) =>
  Effect.flatMap(
    simulate(PingPong, { A: playerA(rounds), B: playerB }, { seed: 1, reliable }),
    (sim) => Effect.flatMap(sim.exit, (r) => (r.A === rounds && r.B === rounds ? Effect.void : wrong("simulated", r, rounds)))
  )
const SIM_ROUNDS = Math.max(1, Math.floor(ROUNDS / 10))

/** The session over the reliable-delivery layer on the in-memory transport (wall clock, no faults). */
const overReliable = (rounds: number) =>
  Effect.flatMap(
    Session.run(PingPong, { A: playerA(rounds), B: playerB }).pipe(Effect.provide(Layer.provide(Reliable.layer(), Memory.layer))),
    (r) => (r.A === rounds && r.B === rounds ? Effect.void : wrong("reliable", r, rounds))
  )

const allCases: ReadonlyArray<Case> = [
  { name: "fastest", program: fastest },
  { name: "fastest-steps", program: fastestSteps },
  { name: "fastest+checks", program: checkedFrames },
  { name: "generator-steps", program: generatorSteps },
  { name: "endpoint-steps", program: endpointSteps },
  { name: "promise", program: promiseFloor },
  { name: "raw", program: raw },
  { name: "raw-mailbox", program: rawMailbox },
  { name: "raw-wake", program: rawWake },
  { name: "quadrille", program: (n) => quadrille(n, false) },
  { name: "program", program: quadrilleProgram },
  ...(VALIDATE ? [{ name: "quadrille+validate", program: (n: number) => quadrille(n, true) }] : []),
  { name: "quadrille+reliable", program: overReliable, rounds: SIM_ROUNDS },
  { name: "fastest+relays", program: relayed },
  { name: "simulated", program: (n) => simulated(n, false), rounds: SIM_ROUNDS },
  { name: "simulated+reliable", program: (n) => simulated(n, true), rounds: SIM_ROUNDS }
]
const only = process.env.ONLY?.split(",")
const cases = only === undefined ? allCases : allCases.filter((c) => only.includes(c.name))
if (cases.length === 0) throw new Error(`ONLY=${process.env.ONLY}: no such case (${allCases.map((c) => c.name).join(", ")})`)

/**
 * Round trips per second of one run, by the wall clock and by the process's CPU time (user +
 * system): on a loaded machine the process is often descheduled, which the wall clock counts
 * and CPU time does not.
 */
const measure = async (c: Case, all: number): Promise<{ readonly wall: number; readonly cpu: number }> => {
  const rounds = c.rounds ?? all
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await Effect.runPromise(c.program(rounds))
  const wall = (performance.now() - t0) / 1000
  const used = process.cpuUsage(c0)
  return { wall: rounds / wall, cpu: rounds / ((used.user + used.system) / 1e6) }
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

const k = (x: number) => `${(x / 1000).toFixed(1)}k`

const main = async () => {
  console.log(
    `ping-pong: ${ROUNDS} round trips per run; ${WARMUP} warm-up + ${RUNS} measured runs per case, alternating; ` +
      `node ${process.version}; effect runtime: default`
  )
  for (let i = 0; i < WARMUP; i++) {
    for (const c of cases) await measure(c, ROUNDS)
  }
  const rates = new Map<string, Array<number>>(cases.map((c) => [c.name, []]))
  const cpuRates = new Map<string, Array<number>>(cases.map((c) => [c.name, []]))
  for (let i = 0; i < RUNS; i++) {
    // Alternate the order, so that no case always runs right after the same other one.
    const order = i % 2 === 0 ? cases : [...cases].reverse()
    for (const c of order) {
      const r = await measure(c, ROUNDS)
      rates.get(c.name)!.push(r.wall)
      cpuRates.get(c.name)!.push(r.cpu)
    }
  }
  const med = (name: string) => median(rates.get(name)!)
  const medCpu = (name: string) => median(cpuRates.get(name)!)
  const width = Math.max(...cases.map((c) => c.name.length))
  console.log(`${"case".padEnd(width)}  median rt/s (wall)  median rt/s (CPU)   runs, wall (in order)`)
  for (const c of cases) {
    const rs = rates.get(c.name)!
    console.log(`${c.name.padEnd(width)}  ${k(med(c.name)).padStart(18)}  ${k(medCpu(c.name)).padStart(17)}   ${rs.map((r) => k(r).padStart(6)).join(" ")}`)
  }
  const ratio = (a: string, b: string) => {
    if (rates.has(a) && rates.has(b)) {
      console.log(`ratio ${a}/${b} = ${(med(a) / med(b)).toFixed(3)} (wall), ${(medCpu(a) / medCpu(b)).toFixed(3)} (CPU)`)
    }
  }
  // For bench/isolated.ts: the medians as one line of JSON.
  if (process.env.JSON === "1") {
    console.log(`json ${JSON.stringify(Object.fromEntries(cases.map((c) => [c.name, { wall: med(c.name), cpu: medCpu(c.name) }])))}`)
  }
  // The headline: against the fastest hand-written Effect channel.
  ratio("quadrille", "fastest")
  ratio("program", "quadrille")
  ratio("program", "fastest")
  ratio("fastest-steps", "fastest")
  ratio("fastest+checks", "fastest")
  ratio("generator-steps", "fastest")
  ratio("program", "generator-steps")
  ratio("endpoint-steps", "fastest")
  ratio("program", "endpoint-steps")
  ratio("quadrille", "fastest+checks")
  ratio("quadrille+reliable", "quadrille")
  ratio("fastest+relays", "fastest")
  ratio("quadrille+reliable", "fastest+relays")
  ratio("quadrille+validate", "quadrille")
  ratio("fastest", "promise")
  ratio("quadrille", "raw")
  ratio("quadrille", "raw-mailbox")
  ratio("quadrille", "raw-wake")
  ratio("simulated", "raw")
  ratio("simulated", "quadrille")
  ratio("simulated+reliable", "simulated")
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
