/**
 * Roles: the local side of a protocol. `Role.implement` derives a role's whole
 * communication from its local type and calls business-logic handlers at each step;
 * `Role.run` runs one role over whatever `Transport` is provided.
 *
 * @since 0.1.0
 */
import { Cause, Duration, Effect, Either, Exit, Option, Schema } from "effect"
import { isEffect } from "../internal/effect.js"
import {
  CheckpointError,
  ImplementationError,
  type MaxRetriesExceeded,
  type ReplayDivergence,
  type RoleError,
  type TransportError
} from "../effects/errors.js"
import { checkpointKey, Storage, type StorageError } from "../effects/Storage.js"
import { Observe } from "../effects/Observe.js"
import { observeRole, Observer } from "../internal/observe.js"
import { TraceSink } from "../effects/TraceSink.js"
import { type Envelope, Transport, type TransportService } from "../effects/Transport.js"
import { type Any, type Catalogue, expand, type Families, type GlobalOf, memberOf, type Messages, type Roles } from "../protocol/Protocol.js"
import type { Handlers, HandlersFor, Member, NoExtraHandlers, WithState } from "../session/Handlers.js"
import type { Automaton, LState, RecvState, SelectState, SendState, TimeoutState } from "../protocol/automaton.js"
import { Channel, isReceived, isState, type Part, type Received } from "./channel.js"
import { type StopError, untilStopped } from "./stop.js"
import { runTimeout } from "./timeout.js"
import { Durability, readRecord, storageEngine } from "./durable.js"
import { attemptId, type RetryOptions, retrying, stoppedBetween } from "./retry.js"

export type {
  /**
   * A role's implementation, as `Role.implement` and `Role.program` make it: what `Role.run`, `Role.resume` and `Session.run` run.
   *
   * @example
   * ```ts
   * import { Schema } from "effect"
   * import { Protocol, Role } from "quadrille"
   *
   * const PingPong = Protocol.make("PingPong", {
   *   roles: ["A", "B"],
   *   messages: { Ping: Schema.Number, Pong: Schema.Number }
   * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
   *
   * const a: Role.Implementation<typeof PingPong, "A", number> = Role.implement(PingPong, "A", {
   *   send: { Ping: () => 1 },
   *   recv: { Pong: (_, reply) => reply }
   * }, 0)
   * assert.strictEqual(a.role, "A")
   * ```
   *
   * @since 0.1.0
   */
  Implementation,
  /**
   * An implementation that `Role.resume` can run durably: a `Role.program`, or a `Role.implement` given a `state` Schema.
   *
   * @example
   * ```ts
   * import { Schema } from "effect"
   * import { Protocol, Role } from "quadrille"
   *
   * const PingPong = Protocol.make("PingPong", {
   *   roles: ["A", "B"],
   *   messages: { Ping: Schema.Number, Pong: Schema.Number }
   * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
   *
   * const b: Role.Resumable<typeof PingPong, "B", number> = Role.implement(PingPong, "B", {
   *   recv: { Ping: (_, n) => n },
   *   send: { Pong: (n) => n + 1 }
   * }, 0, { state: Schema.Number })
   * assert.strictEqual(b.durable, "implement")
   * ```
   *
   * @since 0.1.0
   */
  Resumable
} from "./implementation.js"
import type { Implementation, Resumable } from "./implementation.js"

/**
 * A JSON value: what a durable role's user state must encode to (with the `state` Schema of
 * `Role.implement`), so that its checkpoint keeps it whole.
 *
 * @category models
 *
 * @example
 * ```ts
 * import type { Role } from "quadrille"
 *
 * const state: Role.Json = { seen: 3, last: "Pong", peers: ["A", "B"], done: null }
 * assert.strictEqual(JSON.stringify(JSON.parse(JSON.stringify(state))), JSON.stringify(state))
 * ```
 *
 * @since 0.1.0
 */
export type Json = string | number | boolean | null | ReadonlyArray<Json> | { readonly [key: string]: Json }

/**
 * Options of `Role.implement`.
 *
 * @category models
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * const options: Role.ImplementOptions<{ readonly pongs: number }> = {
 *   state: Schema.Struct({ pongs: Schema.Number })
 * }
 * const a = Role.implement(PingPong, "A", {
 *   send: { Ping: () => 1 },
 *   recv: { Pong: (s) => ({ pongs: s.pongs + 1 }) }
 * }, { pongs: 0 }, options)
 * assert.strictEqual(a.durable, "implement")
 * ```
 *
 * @since 0.1.0
 */
export interface ImplementOptions<S> {
  /**
   * The Schema of the user state, decoding to the state and encoding it to JSON: needed to
   * run the role durably (`Role.resume`), whose checkpoints keep the state after every commit.
   */
  readonly state: Schema.Schema.AnyNoContext & { readonly Type: S; readonly Encoded: Json }
}

/**
 * The result of an implementation.
 *
 * @category type-level
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * const a = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => `got ${n}` } }, "")
 * const result: Role.Success<typeof a> = "got 2" // the final state: a string
 * assert.strictEqual(typeof result, "string")
 * ```
 *
 * @since 0.1.0
 */
export type Success<I> = I extends Resumable<Any, string, infer A, unknown, unknown> ? A
  : I extends Implementation<Any, string, infer A, unknown, unknown> ? A
  : never
/**
 * The errors of an implementation's own handlers.
 *
 * @category type-level
 *
 * @example
 * ```ts
 * import { Data, Effect, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * class OutOfPings extends Data.TaggedError("OutOfPings")<{}> {}
 *
 * const a = Role.implement(PingPong, "A", {
 *   send: { Ping: (left: number) => left > 0 ? Effect.succeed(left) : Effect.fail(new OutOfPings()) },
 *   recv: { Pong: (left) => left - 1 }
 * }, 3)
 * const error: Role.Failure<typeof a> = new OutOfPings()
 * assert.strictEqual(error._tag, "OutOfPings")
 * ```
 *
 * @since 0.1.0
 */
export type Failure<I> = I extends Resumable<Any, string, unknown, infer E, unknown> ? E
  : I extends Implementation<Any, string, unknown, infer E, unknown> ? E
  : never
/**
 * The services an implementation needs.
 *
 * @category type-level
 *
 * @example
 * ```ts
 * import { Context, Effect, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * class Counter extends Context.Tag("Counter")<Counter, { readonly next: Effect.Effect<number> }>() {}
 *
 * const a = Role.implement(PingPong, "A", {
 *   send: { Ping: () => Effect.flatMap(Counter, (c) => c.next) },
 *   recv: { Pong: (_, n) => n }
 * }, 0)
 * const needs: [Role.Requirements<typeof a>] extends [Counter] ? true : false = true
 * assert.strictEqual(needs, true)
 * ```
 *
 * @since 0.1.0
 */
export type Requirements<I> = I extends Resumable<Any, string, unknown, unknown, infer Rq> ? Rq
  : I extends Implementation<Any, string, unknown, unknown, infer Rq> ? Rq
  : never

export type {
  /** @since 0.1.0 */
  Answer,
  /** @since 0.1.0 */
  Handlers,
  /** @since 0.1.0 */
  PayloadOf
} from "../session/Handlers.js"

type Outputs<H> = {
  [K in keyof H]: { [L in keyof H[K]]: H[K][L] extends (...args: never) => infer O ? O : never }[keyof H[K]]
}[keyof H]

/**
 * The errors of the Effects a record of handlers may return.
 *
 * @category type-level
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { Role } from "quadrille"
 *
 * const handlers = {
 *   send: { Ping: (n: number) => n > 0 ? Effect.succeed(n) : Effect.fail("no pings left" as const) }
 * }
 * const error: Role.HandlerError<typeof handlers> = "no pings left"
 * assert.strictEqual(error, "no pings left")
 * ```
 *
 * @since 0.1.0
 */
export type HandlerError<H> = Outputs<H> extends infer O ? O extends Effect.Effect<unknown, infer E, unknown> ? E : never : never
/**
 * The services the Effects of a record of handlers need.
 *
 * @category type-level
 *
 * @example
 * ```ts
 * import { Context, Effect } from "effect"
 * import type { Role } from "quadrille"
 *
 * class Clock extends Context.Tag("Clock")<Clock, { readonly now: Effect.Effect<number> }>() {}
 *
 * const handlers = {
 *   send: { Ping: () => Effect.flatMap(Clock, (clock) => clock.now) }
 * }
 * const needs: [Role.HandlerContext<typeof handlers>] extends [Clock] ? true : false = true
 * assert.strictEqual(needs, true)
 * ```
 *
 * @since 0.1.0
 */
export type HandlerContext<H> = Outputs<H> extends infer O ? O extends Effect.Effect<unknown, unknown, infer R> ? R : never
  : never

type HandlerFn = (...args: ReadonlyArray<unknown>) => unknown

/**
 * A handler that declares the context parameter, as the interpreter keeps it. Whether a handler
 * takes its context is read from its `length` once, where the maps are made (a function's
 * `length` is a native accessor call: 1.6 % of a ping-pong profile when read per step); one
 * that does not is kept as the function itself, so that the usual handler costs no object.
 */
class WithContext {
  constructor(readonly fn: HandlerFn) {}
}

type Handler = HandlerFn | WithContext

/** What `withState` makes. */
class WithStateImpl<A, S> {
  constructor(readonly value: A, readonly state: S) {}
}

/**
 * The answer of a `send` or `choose` handler of `Role.implement` that also changes the state:
 * `value` is the payload sent (or the branch chosen), `state` the state from then on. (A
 * handler that answers with the plain value keeps the state.)
 *
 * @since 0.1.0
 * @category constructors
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * // A's state counts the pings it sent; the payload is the count so far.
 * const a = Role.implement(PingPong, "A", {
 *   send: { Ping: (sent: number) => Role.withState(sent, sent + 1) },
 *   recv: { Pong: (sent) => sent }
 * }, 0)
 * const b = Role.implement(PingPong, "B", { send: { Pong: (n: number) => n }, recv: { Ping: (_, n) => n } }, -1)
 *
 * const results = await Effect.runPromise(Session.run(PingPong, { A: a, B: b }))
 * assert.deepStrictEqual(results, { A: 1, B: 0 })
 * ```
 */
export const withState = <A, S>(value: A, state: S): WithState<A, S> => new WithStateImpl(value, state) as unknown as WithState<A, S>

/**
 * A record of handlers as maps of its own entries only: a label or choice named `toString`
 * or `__proto__` finds a handler only when one was given.
 */
interface HandlerMaps {
  readonly send: ReadonlyMap<string, Handler>
  readonly recv: ReadonlyMap<string, Handler>
  readonly choose: ReadonlyMap<string, Handler>
  readonly onTimeout: ReadonlyMap<string, Handler>
  readonly onCompensate: ReadonlyMap<string, Handler>
}

/** The map of a record with no handlers (shared: a map of handlers is never written to). */
const noHandlers: ReadonlyMap<string, Handler> = new Map()

/** The handlers of a record; `params` is how many parameters a handler has before its context. */
const handlerMap = (record: unknown, params: number): ReadonlyMap<string, Handler> => {
  if (typeof record !== "object" || record === null) return noHandlers
  let map: Map<string, Handler> | undefined
  for (const name of Object.keys(record)) {
    const f = (record as Record<string, unknown>)[name]
    if (typeof f === "function") (map ??= new Map()).set(name, f.length > params ? new WithContext(f as HandlerFn) : f as HandlerFn)
  }
  return map ?? noHandlers
}

/**
 * A handler's answer as the role takes it: a Promise is awaited as an Effect (its rejection is
 * a defect of the role, as a handler that throws is); anything else as it is. Applied where a
 * handler is called, rather than by wrapping each handler: a wrapper per handler cost every
 * `Role.implement` (one per session in the examples) a closure, a rest-arguments array per
 * call and a redefined `length` per handler, about 4.6 KB of allocation per session.
 */
const answer = (out: unknown): unknown =>
  typeof out === "object" && out !== null && typeof (out as { readonly then?: unknown }).then === "function" && !isEffect(out)
    ? Effect.promise(() => out as PromiseLike<unknown>)
    : out

/** A handler a role's automaton calls for: where it is looked up, by what name, and how an error names it. */
type Needed = readonly [map: "send" | "choose" | "onTimeout", name: string, named: string]

/** The handlers each local automaton calls for, in order, once each: found once per automaton. */
const neededHandlers = new WeakMap<Automaton, ReadonlyArray<Needed>>()

const needed = (automaton: Automaton): ReadonlyArray<Needed> => {
  const known = neededHandlers.get(automaton)
  if (known !== undefined) return known
  const out = new Map<string, Needed>()
  // The states of the role's own automata of parallel branches count too.
  const states = (a: Automaton): Array<LState> =>
    a.states.flatMap((s) =>
      s.kind === "par"
        ? [s, ...s.branches.flatMap((b) => states(b.automaton))]
        : s.kind === "timeout"
        ? [s, ...[s.body, s.fallback].flatMap((p) => (p === undefined ? [] : states(p)))]
        : [s]
    )
  const need = (map: Needed[0], name: string) => {
    const named = `${map}.${name}`
    if (!out.has(named)) out.set(named, [map, name, named])
  }
  for (const s of states(automaton)) {
    if (s.kind === "send") need("send", s.label)
    if (s.kind === "select") need("choose", s.choice)
    if (s.kind === "timeout" && s.trigger === "clock" && s.decides) need("onTimeout", s.name)
  }
  const list = [...out.values()]
  neededHandlers.set(automaton, list)
  return list
}

/** The handlers a role's local automaton calls for, that a record lacks. */
const missingHandlers = (channel: Channel, handlers: HandlerMaps): Array<string> => {
  const missing: Array<string> = []
  for (const [map, name, named] of needed(channel.protocol["~graph"].locals.get(channel.role)!)) {
    if (!handlers[map].has(name)) missing.push(named)
  }
  return missing
}

/** How many steps `Role.implement` takes without waiting before it yields to other fibers. */
const syncStepBudget = 128

/**
 * The generated local implementation of `role`: the communication is derived from the
 * protocol, the handlers supply payloads, fold received payloads into the state, and make
 * choices. The role's result is its final state.
 *
 * @category constructors
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * const a = Role.implement(PingPong, "A", {
 *   send: { Ping: (s) => s },
 *   recv: { Pong: (_, reply) => reply }
 * }, 1)
 * const b = Role.implement(PingPong, "B", {
 *   recv: { Ping: (_, n) => n },
 *   send: { Pong: (n) => n * 10 }
 * }, 0)
 *
 * const results = await Effect.runPromise(Session.run(PingPong, { A: a, B: b }))
 * assert.deepStrictEqual(results, { A: 10, B: 1 })
 * ```
 *
 * @since 0.1.0
 */
export const implement = <
  const P extends Any,
  const R extends Roles<P>,
  S,
  const H extends HandlersFor<GlobalOf<P>, R, Messages<P>, NoInfer<S>>,
  const O extends ImplementOptions<NoInfer<S>> | undefined = undefined
>(
  protocol: P,
  role: R,
  handlers: H & NoExtraHandlers<H, GlobalOf<P>, R>,
  initialState: S,
  options?: O
): O extends { readonly state: unknown } ? Resumable<P, R, S, HandlerError<H>, HandlerContext<H>> : Implementation<P, R, S, HandlerError<H>, HandlerContext<H>> => {
  const given = handlers as Handlers<Catalogue, unknown>
  const h: HandlerMaps = {
    send: handlerMap(given.send, 1),
    recv: handlerMap(given.recv, 2),
    choose: handlerMap(given.choose, 1),
    onTimeout: handlerMap((given as { readonly onTimeout?: unknown }).onTimeout, 1),
    onCompensate: handlerMap((given as { readonly onCompensate?: unknown }).onCompensate, 1)
  }
  const fail = (site: string, message: string) =>
    Effect.fail(new ImplementationError({ protocol: protocol.name, role, site, message }))
  const stateSchema = options?.state as Schema.Schema<unknown, unknown> | undefined
  const run = (channel: Channel): Effect.Effect<S, unknown, unknown> =>
    Effect.suspend(() => {
      const missing = missingHandlers(channel, h)
      if (missing.length > 0) {
        return fail("", `Role.implement(${protocol.name}, ${role}): missing handlers ${missing.join(", ")}`)
      }
      const box: { state: unknown; lock: Effect.Semaphore | undefined } = { state: initialState, lock: undefined }
      const durable = channel.durable
      if (durable !== undefined) {
        if (stateSchema === undefined) return fail("", `Role.implement(${protocol.name}, ${role}) runs durably only with a state Schema: give { state: Schema } as its last argument`)
        const restored = durable.restored?.state
        if (restored !== undefined) {
          const decoded = Schema.decodeUnknownEither(stateSchema)(restored)
          if (Either.isLeft(decoded)) return fail("", `${role} could not decode the user state of its checkpoint with its state Schema`)
          box.state = decoded.right
        }
        const encode = Schema.encodeEither(stateSchema)
        // At each commit at the top level of the protocol, the checkpoint is a snapshot of the channel and the state.
        durable.snapshotNow = () => {
          const encoded = encode(box.state)
          if (Either.isLeft(encoded)) {
            return Either.left(new ImplementationError({ protocol: protocol.name, role, site: "", message: `${role}'s state does not encode with its state Schema, so it cannot be kept` }))
          }
          const snapshot = channel.snapshot(encoded.right)
          return snapshot === undefined ? undefined : Either.right(snapshot)
        }
      }
      return drive(channel, channel.start(), box, false) as Effect.Effect<S, unknown, unknown>
    })
  /**
   * Runs the role from `start` on `channel`. Parallel branches run as further drives on
   * sub-channels of their own lanes, sharing the user state `box`; once the role has entered
   * a parallel, receive handlers hold `box.lock` from reading the state to writing it back,
   * so that concurrent branches never lose each other's updates.
   */
  const drive = (
    channel: Channel,
    start: LState,
    box: { state: unknown; lock: Effect.Semaphore | undefined },
    inBranch: boolean
  ): Effect.Effect<unknown, unknown, unknown> => {
    // One drive is one fiber and goes one step at a time, so where the role is (`cur`) is a
    // plain variable, like its user state (`box.state`), and the continuations below are made once
    // per run, not once per step. `loop` takes synchronous steps (handlers that answer with
    // a value, sends the transport delivers at once, frames already received) in a plain
    // loop, and returns an Effect only where the role has to wait: for a frame, an
    // effectful handler, an asynchronous send, or the end.
    let cur: LState = start
    /** Sends taken under the lock since the last yield (see `sendValue`). */
    let lockedSends = 0
    const loop = (): Effect.Effect<unknown, unknown, unknown> => {
      for (let steps = 0; steps < syncStepBudget; steps++) {
        const s = cur
        switch (s.kind) {
          case "end":
            // A parallel branch ends at the barrier; either way nothing may be left unread.
            return inBranch ? channel.close(s) : Effect.as(channel.close(s), box.state)
          case "send": {
            const f = h.send.get(s.label)!
            if (box.lock !== undefined) return sendLocked(f, s)
            const out = answer(typeof f === "function" ? f(box.state) : f.fn(box.state, contextOf(s.peer, s.label, s.site, channel.loopsAt(s.siteLoops))))
            if (isEffect(out)) return Effect.flatMap(out, sendPayload)
            const next = channel.sendNow(s, valueOf(out))
            if (!isState(next)) return Effect.flatMap(next, goTo)
            cur = next
            break
          }
          case "recv": {
            const r = channel.receiveBuffered(s)
            if (r === undefined) return waitOn(s)
            if (!isReceived(r)) return r
            const k = received(r)
            if (k !== undefined) return k
            break
          }
          case "select": {
            const f = h.choose.get(s.choice)!
            const out = answer(typeof f === "function" ? f(box.state) : f.fn(box.state, contextOf(undefined, s.choice, s.site, channel.roundsDone())))
            if (isEffect(out)) return Effect.flatMap(out, selectBranch)
            const next = channel.selectNow(s, valueOf(out) as string)
            if (!isState(next)) return next
            cur = next
            break
          }
          case "par": {
            // The outermost parallel makes the lock, and drops it at its barrier: after it, one
            // drive runs again and needs none (nor the Effect per step that the lock costs).
            const outermost = box.lock === undefined
            if (outermost) box.lock = Effect.unsafeMakeSemaphore(1)
            return Effect.flatMap(
              Effect.forEach(channel.branches(s), (b) => drive(b.channel, b.start, box, true), {
                concurrency: "unbounded",
                discard: true
              }),
              () => {
                if (outermost) box.lock = undefined
                return goTo(channel.enter(s.next))
              }
            )
          }
          case "timeout": {
            const handler = (s.trigger === "clock" ? h.onTimeout : h.onCompensate).get(s.name)
            const onTimeout = handler === undefined ? Effect.void : box.lock === undefined ? update(handler, s) : box.lock.withPermits(1)(update(handler, s))
            const part = (p: Part) => drive(p.channel, p.start, box, true)
            return Effect.flatMap(runTimeout(channel, s, part, part, onTimeout), () => goTo(channel.enter(s.next)))
          }
          case "rounds": {
            const next = channel.rounds(s)
            if (Either.isLeft(next)) return Effect.fail(next.left)
            cur = next.right.next
            break
          }
        }
      }
      // A long run of steps that never waited: let other fibers run (and interruption in).
      return Effect.flatMap(Effect.yieldNow(), loop)
    }
    /** Runs a handler of the state alone (`onTimeout`, `onCompensate`): its answer is the new state. */
    const update = (f: Handler, s: TimeoutState): Effect.Effect<void, unknown, unknown> =>
      Effect.suspend(() => {
        const out = answer(typeof f === "function" ? f(box.state) : f.fn(box.state, contextOf(undefined, s.name, s.site, channel.roundsDone())))
        return isEffect(out) ? Effect.map(out, (next) => void (box.state = next)) : Effect.sync(() => void (box.state = out))
      })
    /** Folds a received payload into the state; an Effect when the handler answers with one. */
    const received = (r: Received): Effect.Effect<unknown, unknown, unknown> | undefined => {
      const from = (cur as RecvState).peer
      cur = r.next
      const f = h.recv.get(r.label)
      if (f === undefined) return undefined
      const lock = box.lock
      if (lock !== undefined) {
        const call = () => answer(typeof f === "function" ? f(box.state, r.payload) : f.fn(box.state, r.payload, contextOf(from, r.label, r.site, r.loops)))
        // Branches run concurrently: a handler's read and write of the state must not
        // interleave with another branch's, even when it answers with an Effect.
        return Effect.flatMap(
          lock.withPermits(1)(
            Effect.suspend(() => {
              const out = call()
              return isEffect(out) ? Effect.map(out, (next) => void (box.state = next)) : Effect.sync(() => void (box.state = out))
            })
          ),
          loop
        )
      }
      const out = answer(typeof f === "function" ? f(box.state, r.payload) : f.fn(box.state, r.payload, contextOf(from, r.label, r.site, r.loops)))
      if (isEffect(out)) return Effect.flatMap(out, setState)
      box.state = out
      return undefined
    }
    const onFrame = (envelope: Envelope): Effect.Effect<unknown, unknown, unknown> => {
      const r = channel.receiveFrame(cur as RecvState, envelope)
      if (r === undefined) return waitOn(cur as RecvState)
      if (!isReceived(r)) return r
      return received(r) ?? loop()
    }
    /** Waits for the next frame at a receive state, then takes it (`onFrame`). */
    const waitOn = channel.waitFor(onFrame)
    /** A handler's context: made only for a handler that declares the parameter. */
    // A family's implementation runs as one of its members (`Bidder[2]`): its index.
    const member = channel.role === role ? undefined : memberOf(protocol, channel.role)?.index
    const contextOf = (peer: string | undefined, label: string, site: string, rounds: Readonly<Record<string, number>>) => ({
      session: channel.session,
      role: channel.role,
      member,
      peer,
      label,
      site,
      rounds
    })
    /**
     * A send handler in a parallel: its read of the state and its write (when it answers
     * `Role.withState`, perhaps after an Effect) hold the lock, as a receive handler's do.
     */
    const sendLocked = (f: Handler, s: SendState): Effect.Effect<unknown, unknown, unknown> =>
      Effect.flatMap(
        box.lock!.withPermits(1)(
          Effect.suspend(() => {
            const out = answer(typeof f === "function" ? f(box.state) : f.fn(box.state, contextOf(s.peer, s.label, s.site, channel.loopsAt(s.siteLoops))))
            return isEffect(out) ? Effect.map(out, valueOf) : Effect.succeed(valueOf(out))
          })
        ),
        sendValue
      )
    /** The value of a send or choose handler's answer; a `WithState` also sets the state. */
    const valueOf = (out: unknown): unknown => {
      if (out instanceof WithStateImpl) {
        box.state = out.state
        return out.value
      }
      return out
    }
    const sendPayload = (payload: unknown): Effect.Effect<unknown, unknown, unknown> => sendValue(valueOf(payload))
    const sendValue = (payload: unknown): Effect.Effect<unknown, unknown, unknown> => {
      const next = channel.sendNow(cur as SendState, payload)
      if (!isState(next)) return Effect.flatMap(next, goTo)
      cur = next
      // Sends under the lock (in a parallel branch) come back here, not to `loop`'s count: a
      // branch that only sends must still yield (and let a stop or an interruption in).
      if (++lockedSends >= syncStepBudget) {
        lockedSends = 0
        return Effect.flatMap(Effect.yieldNow(), loop)
      }
      return loop()
    }
    const selectBranch = (answer: unknown): Effect.Effect<unknown, unknown, unknown> => {
      const next = channel.selectNow(cur as SelectState, valueOf(answer) as string)
      if (!isState(next)) return next
      cur = next
      return loop()
    }
    const goTo = (next: LState): Effect.Effect<unknown, unknown, unknown> => {
      cur = next
      return loop()
    }
    const setState = (next: unknown): Effect.Effect<unknown, unknown, unknown> => {
      box.state = next
      return loop()
    }
    return loop()
  }
  // The interpreter is loosely typed; its errors and services are those of the handlers (see HandlerError).
  const implementation = { _tag: "Implementation" as const, protocol, role, run: run as Implementation<P, R, S, HandlerError<H>, HandlerContext<H>>["run"] }
  return (stateSchema === undefined ? implementation : { ...implementation, durable: "implement" as const }) as never
}

/**
 * Options of a run.
 *
 * @category models
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Memory, Protocol, Role } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * const options: Role.RunOptions = { sessionId: "ping-1", validate: true, receiveTimeout: "5 seconds" }
 * const a = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const b = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * const [resultA] = await Effect.runPromise(
 *   Effect.all([Role.run(PingPong, "A", a, options), Role.run(PingPong, "B", b, options)], { concurrency: 2 }).pipe(
 *     Effect.provide(Memory.layer)
 *   )
 * )
 * assert.strictEqual(resultA, 2)
 * ```
 *
 * @since 0.1.0
 */
export interface RunOptions {
  /** The session id shared by every role of one session. */
  readonly sessionId: string
  /** Decode received payloads with their Schemas (default: when the transport serialises). */
  readonly validate?: boolean | undefined
  /** Session parameters: the number of rounds of each `repeat`, by its name. */
  readonly params?: Readonly<Record<string, number>> | undefined
  /**
   * How long the role may wait for any one message before failing with `Timeout`
   * (default: for ever). On the simulator and under `TestClock` this is virtual time.
   */
  readonly receiveTimeout?: Duration.DurationInput | undefined
  /**
   * Stops the role when it completes: it fails with `Stopped`, and every peer it still has
   * steps with is sent a failure notice (they fail with `PeerFailed`, reason `Stopped`). The
   * way a server's role, in a protocol with a `forever` loop, ends.
   */
  readonly stop?: Effect.Effect<unknown> | undefined
}

/**
 * Runs a single role of a session over the `Transport` in context; the other roles run
 * elsewhere (another fiber, process or host) with the same session id.
 *
 * @category running
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Memory, Protocol, Role } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * const a = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const b = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * // Each role on its own; here two fibers over one in-memory transport (TCP or Redis: `quadrille/node`).
 * const results = await Effect.runPromise(
 *   Effect.all([
 *     Role.run(PingPong, "A", a, { sessionId: "s-1" }),
 *     Role.run(PingPong, "B", b, { sessionId: "s-1" })
 *   ], { concurrency: "unbounded" }).pipe(Effect.provide(Memory.layer))
 * )
 * assert.deepStrictEqual(results, [2, 1])
 * ```
 *
 * @since 0.1.0
 */
export const run = <P extends Any, R extends Roles<P> | Member<Families<P>>, A, E, Rq, const O extends RunOptions = RunOptions>(
  protocol: P,
  role: R,
  implementation: Implementation<P, R | FamilyOf<R, Families<P>>, A, E, Rq>,
  options: O
): Effect.Effect<A, E | RoleError | StopError<O>, Rq | Transport> =>
  Effect.flatMap(Effect.all([Transport, Effect.serviceOption(TraceSink), Effect.serviceOption(Observe), sessionProtocol(protocol, role, options.params)]), ([transport, trace, observe, protocol]) => {
    const observer = Option.isNone(observe) ? undefined : new Observer(observe.value, protocol.name, Option.getOrUndefined(trace))
    const body = attached(
      transport,
      options.sessionId,
      role,
      protocol.roles,
      runOn(
        options.stop === undefined ? implementation : {
          ...implementation,
          // The role fails with `Stopped` only when `options` give `stop` (what `StopError<O>` says).
          run: (channel) => untilStopped(implementation.run(channel), options.stop, protocol.name, options.sessionId, () => [role]) as never
        },
        new Channel(
          protocol,
          role,
          options.sessionId,
          transport,
          options.validate ?? transport.serialises,
          options.params,
          "",
          observer ?? Option.getOrUndefined(trace),
          timeoutMillis(options.receiveTimeout)
        )
      )
    )
    return observer === undefined ? body : observeRole(observer, body, role, options.sessionId)
  })

/** The family whose member `R` is (`Bidder` for `` `Bidder[${number}]` ``), or `R` itself. */
type FamilyOf<R extends string, F extends string> = R extends `${infer Name}[${number}]` ? Name extends F ? Name : R : R

/**
 * The protocol a role runs in: `protocol`, or, when it has families, its expansion for the
 * sizes in `params` (a member is run as `Bidder[i]`). A bad size is the caller's mistake.
 */
const sessionProtocol = (protocol: Any, role: string, params: Readonly<Record<string, number>> | undefined): Effect.Effect<Any, ImplementationError> =>
  protocol.families.length === 0 ? Effect.succeed(protocol) : Effect.try({
    try: () => {
      const expanded = expand(protocol, (params ?? {}) as never) as Any
      if (!expanded.roles.includes(role)) throw new Error(`${role} is not a role of ${protocol.name} with these sizes (${expanded.roles.join(", ")}); run a family's member by its name, ${protocol.families[0]}[i]`)
      return expanded
    },
    catch: (e) => new ImplementationError({ protocol: protocol.name, role, site: "", message: `Role.run(${protocol.name}, ${role}): ${e instanceof Error ? e.message : String(e)}` })
  })

/**
 * Runs an implementation on its channel; when the role fails or is interrupted, every peer it
 * still has steps with is sent a failure notice (so that a peer waiting on it fails with
 * `PeerFailed` instead of waiting for ever).
 *
 * @internal
 */
export const runOn = <A, E, R>(implementation: Implementation<Any, string, A, E, R>, channel: Channel): Effect.Effect<A, E | RoleError, R> =>
  Effect.onExit(implementation.run(channel), (exit) => (Exit.isFailure(exit) ? channel.notifyFailure(exit.cause) : Effect.void))

/**
 * Runs a role between the transport's `open` and `close` for it (when it has them): `close`
 * runs however the role ends.
 *
 * @internal
 */
export const attached = <A, E, R>(
  transport: TransportService,
  session: string,
  role: string,
  roles: ReadonlyArray<string>,
  run: Effect.Effect<A, E, R>
): Effect.Effect<A, E | TransportError, R> => {
  const { close, open } = transport
  const opened = open === undefined ? run : Effect.zipRight(open(session, role, roles), run)
  return close === undefined ? opened : Effect.ensuring(opened, close(session, role))
}

/**
 * A receive timeout in milliseconds, or `undefined` for none.
 *
 * @internal
 */
export const timeoutMillis = (timeout: Duration.DurationInput | undefined): number | undefined => {
  if (timeout === undefined) return undefined
  const ms = Duration.toMillis(Duration.decode(timeout))
  return Number.isFinite(ms) ? ms : undefined
}

/**
 * Runs one role of a session **durably**, continuing it from its checkpoint when it has one
 * (after a crash, a kill, an interruption): with none, it starts afresh. The other roles run
 * elsewhere with the same session id, durably too.
 *
 * - A `Role.implement` (given a `state` Schema) is restored from its last snapshot: where it
 *   was in the protocol, its user state, loop counters and sequence numbers; then it replays
 *   what its journal has since (the steps inside a parallel, timeout or saga it was in).
 * - A `Role.program` replays its journal from the start: the frames it had are fed back in
 *   order, the frames it sent are checked and not sent again, then it goes on live. A program
 *   must therefore do the same given the same frames (as in Temporal): no clock, random
 *   number or outside state may steer its sends and choices. One that does otherwise fails
 *   with `ReplayDivergence`.
 *
 * A durable role commits after each frame it sends, before each wait, and at its end: see
 * `TransportService.durable` (the Redis transport commits in one `MULTI`) and `Storage` (any
 * other transport). Payloads are encoded with their Schemas, as over a network (`validate`
 * defaults to true), so every role of the session must validate. Interrupted, a durable role
 * sends no failure notice and keeps its mailboxes: it is expected back. Failed, it tells its
 * peers like `Role.run`. Stopped by `options.stop` (a server's role, in a `forever` loop), it
 * fails with `Stopped` and is not expected back: its peers are told, as of a failure, and its
 * checkpoint expires. A checkpoint of another protocol, role, session or version of the
 * protocol is refused with `CheckpointError`.
 *
 * @category running
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Memory, Protocol, Role, Storage } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * const a = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0, { state: Schema.Number })
 * const b = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0, { state: Schema.Number })
 *
 * // Checkpoints go to `Storage` (here in memory; `quadrille/node` has files and Redis).
 * const results = await Effect.runPromise(
 *   Effect.all([
 *     Role.resume(PingPong, "A", a, { sessionId: "order-17" }),
 *     Role.resume(PingPong, "B", b, { sessionId: "order-17" })
 *   ], { concurrency: "unbounded" }).pipe(Effect.provide(Layer.merge(Memory.layer, Storage.memory)))
 * )
 * assert.deepStrictEqual(results, [2, 1])
 * ```
 *
 * @since 0.1.0
 */
export const resume = <P extends Any, R extends Roles<P>, A, E, Rq, const O extends RunOptions = RunOptions>(
  protocol: P,
  role: R,
  implementation: Resumable<P, R, A, E, Rq>,
  options: O
): Effect.Effect<A, E | RoleError | ReplayDivergence | CheckpointError | StorageError | StopError<O>, Rq | Transport | Storage> =>
  Effect.gen(function*() {
    const transport = yield* Transport
    const inner = Option.getOrUndefined(yield* Effect.serviceOption(TraceSink))
    const observe = Option.getOrUndefined(yield* Effect.serviceOption(Observe))
    const observer = observe === undefined ? undefined : new Observer(observe, protocol.name, inner)
    const trace = observer ?? inner
    const engine = transport.durable ?? storageEngine(yield* Storage, transport)
    const session = options.sessionId
    const key = checkpointKey(protocol.name, session, role)
    const kind = implementation.durable
    if (kind !== "implement" && kind !== "program") {
      return yield* Effect.fail(new ImplementationError({ protocol: protocol.name, role, site: "", message: `Role.resume(${protocol.name}, ${role}): the implementation cannot be resumed; give Role.implement a { state: Schema }` }))
    }
    const text = yield* engine.load(key)
    const record = Option.isSome(text) ? yield* readRecord(text.value, { key, protocol, role, session, kind }) : undefined
    const durability = new Durability(engine, key, protocol, role, session, kind, record)
    const channel = new Channel(protocol, role, session, transport, options.validate ?? true, options.params, "", trace, timeoutMillis(options.receiveTimeout), durability)
    if (record?.snapshot !== null && record?.snapshot !== undefined && !channel.restore(record.snapshot)) {
      return yield* Effect.fail(new CheckpointError({ key, protocol: protocol.name, role, message: `the checkpoint of ${role} in session ${session} names a state its local type does not have` }))
    }
    const { close, open } = transport
    if (open !== undefined) yield* open(session, role, protocol.roles)
    // Frames of the last commit that may not have gone out (an engine that is not transactional): again; receivers drop what they had.
    if (record !== undefined && !engine.transactional) yield* Effect.forEach(record.outbox, (e) => transport.send(e), { discard: true })
    // A stop is a failure like any other (not a crash): its peers are told, its checkpoint expires.
    const body = untilStopped(
      implementation.run(channel) as Effect.Effect<A, E | RoleError | ReplayDivergence | CheckpointError | StorageError, Rq>,
      options.stop,
      protocol.name,
      session,
      () => [role]
    )
    const run = observer === undefined ? body : observeRole(observer, body, role, session)
    return yield* Effect.onExit(run, (exit) => {
      // Interrupted (a crash, as far as the session can tell): no notice, and the mailboxes stay
      // for when it is back, with the frames it took and did not commit put back.
      if (Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)) {
        return transport.detach?.(session, role, durability.uncommitted()) ?? Effect.void
      }
      // Failed: its peers are told; its checkpoint may expire (it would fail the same way again).
      const notified = Exit.isFailure(exit)
        ? Effect.zipRight(channel.notifyFailure(exit.cause), engine.expire?.(key, session, role) ?? Effect.void)
        : Effect.void
      return close === undefined ? notified : Effect.zipRight(notified, close(session, role))
    })
  }) as never // The role fails with `Stopped` only when `options` give `stop` (what `StopError<O>` says).

/**
 * Options of `Role.retry`: those of `Role.run` and a retry `schedule`. `stop` is one stop for
 * every attempt, as in `Session.retry`.
 *
 * @category models
 *
 * @example
 * ```ts
 * import { Schedule } from "effect"
 * import type { Role } from "quadrille"
 *
 * const options: Role.RoleRetryOptions = {
 *   sessionId: "order-17",
 *   receiveTimeout: "1 second",
 *   schedule: Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(2)))
 * }
 * assert.strictEqual(options.sessionId, "order-17")
 * ```
 *
 * @since 0.1.0
 */
export interface RoleRetryOptions extends RunOptions, RetryOptions {}

/**
 * Runs one role like `run`, and again after a retryable failure, on `schedule`, each attempt
 * as a fresh session: attempt k has the session id `<sessionId>#k`. The other roles, run
 * apart, retry with the same options, so that attempt k of every role meets in one session
 * (a role that fails tells its peers, whose `PeerFailed` is retryable when its failure was, so
 * they start the next attempt too). Exhaustion is `MaxRetriesExceeded`.
 *
 * @category running
 *
 * @example
 * ```ts
 * import { Effect, Schedule, Schema } from "effect"
 * import { Memory, Protocol, Role } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * const a = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const b = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 * const options = { sessionId: "s-1", receiveTimeout: "1 second", schedule: Schedule.recurs(2) } as const
 *
 * // Attempt k of each role runs as session "s-1#k"; here the first attempt succeeds.
 * const results = await Effect.runPromise(
 *   Effect.all([Role.retry(PingPong, "A", a, options), Role.retry(PingPong, "B", b, options)], { concurrency: 2 }).pipe(
 *     Effect.provide(Memory.layer)
 *   )
 * )
 * assert.deepStrictEqual(results, [2, 1])
 * ```
 *
 * @since 0.1.0
 */
export const retry = <P extends Any, R extends Roles<P>, A, E, Rq, const O extends RoleRetryOptions = RoleRetryOptions>(
  protocol: P,
  role: R,
  implementation: Implementation<P, R, A, E, Rq>,
  options: O
): Effect.Effect<A, E | RoleError | MaxRetriesExceeded | StopError<O>, Rq | Transport> =>
  retrying(
    `${role} of ${protocol.name} (${options.sessionId})`,
    (k, stop) => run(protocol, role, implementation, { ...options, sessionId: attemptId(options.sessionId, k), stop }),
    options,
    { protocol: protocol.name, session: options.sessionId, role },
    { signal: options.stop, between: (k) => stoppedBetween(protocol.name, options.sessionId, k) }
  ) as never // The role fails with `Stopped` only when `options` give `stop` (what `StopError<O>` says).

export {
  /**
   * The `schedule` of a retried run (`Role.retry`, `Session.retry`) and which errors it retries (`while`; default `isRetryable`).
   *
   * @example
   * ```ts
   * import { Schedule } from "effect"
   * import { isRetryable, type Role } from "quadrille"
   *
   * const options: Role.RetryOptions = {
   *   schedule: Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(2))),
   *   while: (error) => isRetryable(error)
   * }
   * assert.strictEqual(typeof options.while, "function")
   * ```
   *
   * @since 0.1.0
   */
  type RetryOptions
} from "./retry.js"
export {
  /**
   * A hand-written role: `body` gets the role's endpoint, typed by its local type, and returns the `Done` that `close(value)` gives at the end; the role's result is that value.
   *
   * @example
   * ```ts
   * import { Effect, Schema } from "effect"
   * import { Protocol, Role, Session } from "quadrille"
   *
   * const PingPong = Protocol.make("PingPong", {
   *   roles: ["A", "B"],
   *   messages: { Ping: Schema.Number, Pong: Schema.Number }
   * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
   *
   * const a = Role.program(PingPong, "A", (ch) =>
   *   Effect.gen(function*() {
   *     const c1 = yield* ch.send("B", "Ping", 1)
   *     const [pong, c2] = yield* c1.recv("B", "Pong")
   *     return yield* c2.close(pong)
   *   }))
   * const b = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
   *
   * const results = await Effect.runPromise(Session.run(PingPong, { A: a, B: b }))
   * assert.deepStrictEqual(results, { A: 2, B: 1 })
   * ```
   *
   * @since 0.1.0
   */
  program,
  /**
   * The result of a role program: the value its `close(value)` gave.
   *
   * @example
   * ```ts
   * import { Effect, Schema } from "effect"
   * import { Protocol, Role } from "quadrille"
   *
   * const PingPong = Protocol.make("PingPong", {
   *   roles: ["A", "B"],
   *   messages: { Ping: Schema.Number, Pong: Schema.Number }
   * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
   *
   * const a = Role.program(PingPong, "A", (ch) =>
   *   Effect.gen(function*() {
   *     const [pong, end] = yield* (yield* ch.send("B", "Ping", 1)).recv("B", "Pong")
   *     return yield* end.close(`pong ${pong}`)
   *   }))
   * const result: Role.Success<typeof a> = "pong 2"
   * const same: Role.Success<typeof a> extends string ? true : false = true
   * assert.strictEqual(same && result.startsWith("pong"), true)
   * ```
   *
   * @since 0.1.0
   */
  type ResultOf
} from "./program.js"
export {
  /**
   * Typed constructors of a declared local type (see `Role.program(P, role, { local }, body)`).
   *
   * @since 0.1.0
   */
  type Choose,
  /** @since 0.1.0 */
  type DeclaredLocal,
  /** @since 0.1.0 */
  type DeclaredOptions,
  /** @since 0.1.0 */
  local,
  /** @since 0.1.0 */
  type LocalConstructors,
  /** @since 0.1.0 */
  toLocalType
} from "./declared.js"
