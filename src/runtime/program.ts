/**
 * Hand-written roles: `Role.program` runs a function of a typed, linear endpoint. The
 * endpoint's precise type comes from `Endpoint<Local<P, R>>` (src/session); at run time
 * every endpoint is one `EndpointImpl` that checks, once more, that the operation fits the
 * role's local automaton, and that it is used only once.
 *
 * @since 0.1.0
 */
import { Effect, Effectable, Either } from "effect"
import { YieldWrap } from "effect/Utils"
import { isEffect } from "../internal/effect.js"
import { ImplementationError, LinearityViolation, ProtocolViolation, type RoleError } from "../effects/errors.js"
import type { Any, Roles } from "../protocol/Protocol.js"
import type { Done, Endpoint, ProgramEnd } from "../session/Endpoint.js"
import type { Local } from "../session/Local.js"
import type { Envelope } from "../effects/Transport.js"
import type { LState, RecvState, SelectState } from "../protocol/automaton.js"
import { type Channel, isReceived, isState, type Part, type Received } from "./channel.js"
import { declare, type DeclaredLocal, type DeclaredOptions } from "./declared.js"
import { runTimeout } from "./timeout.js"
import type { Implementation, Resumable } from "./implementation.js"

/**
 * The `Done`s that `close()` has made, each with the channel it closed and its value. Only a
 * `Done` made by the `close()` of the program's own channel ends that program: one forged, or
 * kept from another session, role or branch, is refused (the brand of the type-level `Done`,
 * `DoneTypeId` in src/session/Endpoint.ts, is never a run-time key).
 */
const issued = new WeakMap<object, { readonly channel: Channel; readonly value: unknown }>()

/** The value a program (or a parallel branch of one) gave to `close(value)`. */
const doneValue = (channel: Channel, done: unknown): Effect.Effect<unknown, ImplementationError> => {
  const entry = typeof done === "object" && done !== null ? issued.get(done) : undefined
  if (entry !== undefined && entry.channel === channel) return Effect.succeed(entry.value)
  return Effect.fail(
    new ImplementationError({
      protocol: channel.protocol.name,
      role: channel.role,
      site: "",
      message: entry === undefined
        ? `Role.program(${channel.protocol.name}, ${channel.role}) returned without the Done of close()`
        : `Role.program(${channel.protocol.name}, ${channel.role}) returned a Done made by the close() of another run, role or branch (${entry.channel.role} in session ${entry.channel.session}${entry.channel.lane === "" ? "" : `, lane ${entry.channel.lane}`}): return the Done of this endpoint's own close()`
    })
  )
}

/** An operation's name in errors: `op()`, `op(a)` or `op(a, b)`. */
const named = (op: string, a?: string, b?: string): string => (a === undefined ? `${op}()` : b === undefined ? `${op}(${a})` : `${op}(${a}, ${b})`)

const describe = (s: LState): string => {
  switch (s.kind) {
    case "send":
      return `send ${s.label} to ${s.peer}`
    case "recv":
      return s.options.size === 1
        ? `recv ${[...s.options.keys()][0]} from ${s.peer}`
        : `offer() from ${s.peer}, one of ${[...s.options.keys()].join(" | ")}`
    case "select":
      return `select one of ${[...s.branches.keys()].join(" | ")} (choice '${s.choice}')`
    case "end":
      return "close()"
    case "rounds":
      return `round() of '${s.param}'`
    case "par":
      return `parallel() of ${s.branches.length} branches (site ${s.site})`
    case "timeout":
      return `${s.trigger === "clock" ? "timeout" : "saga"}() '${s.name}' (site ${s.site})`
  }
}

/** How many steps a program takes inline (see `Step`) before it goes once through Effect's run loop. */
const inlineStepBudget = 128

/**
 * The Effect of one endpoint operation. Run as an Effect, it takes its step when it runs
 * (`commit`). With `yield*` in `Effect.gen`, its step is taken where the `yield*` is (the
 * same point in the program) and, when the step is done at once (a send the transport takes,
 * a frame already there, a choice), the program goes on with its result without going through
 * Effect's run loop: a program's synchronous step costs about what a handler call of
 * `Role.implement` does, instead of two Effect steps and a turn of the generator. Every
 * `inlineStepBudget` inline steps, one goes through the run loop (`Effect.yieldNow`), so that
 * a program that only sends still lets other fibers run and an interruption in. A step that
 * waits (or fails) is yielded as the Effect it is.
 */
/**
 * Whether a step's answer is its value (an endpoint, a received pair, an offer's frame) rather
 * than the Effect left to run. An endpoint or a pair is told at once; only anything else is
 * looked at for `EffectTypeId` (which, missed across the answers' shapes, was 4 % of a program's
 * ping-pong).
 */
const isValue = (r: unknown): boolean => r instanceof EndpointImpl || Array.isArray(r) || !isEffect(r)

/** What `offer()` answers: the frame's label and payload, and the endpoint after it. */
interface Offered {
  readonly label: string
  readonly payload: unknown
  readonly next: EndpointImpl
}

/** What a receive answers: `recv`'s pair, or `offer`'s frame. */
type Taken = readonly [unknown, EndpointImpl] | Offered

/** The operation a `Step` takes (its arguments are the step's `a`, `b` and `payload`). */
type Op = "send" | "recv" | "offer" | "select"

class Step<A, E> extends Effectable.Class<A, E> {
  // The operation and its arguments, not a closure over them: one object per step, not two.
  constructor(
    private readonly endpoint: EndpointImpl,
    private readonly op: Op,
    private readonly a: string,
    private readonly b: string,
    private readonly payload: unknown
  ) {
    super()
  }

  /** Takes the step: its value, or the Effect left to run (a wait, a failure). */
  private step(): A | Effect.Effect<A, E> {
    const e = this.endpoint
    switch (this.op) {
      case "send":
        return e.takeSend(this.a, this.b, this.payload) as A | Effect.Effect<A, E>
      case "recv":
        return e.takeRecv(this.a, this.b) as A | Effect.Effect<A, E>
      case "offer":
        return e.takeOffer() as A | Effect.Effect<A, E>
      case "select":
        return e.takeSelect(this.a) as A | Effect.Effect<A, E>
    }
  }

  commit(): Effect.Effect<A, E> {
    const r = this.step()
    return isValue(r) ? Effect.succeed(r as A) : r as Effect.Effect<A, E>
  }

  // The step is also the iterator `yield*` takes from it (what Effect's `SingleShotGen` is for
  // any Effect, without a generator object per step), and that iterator's `IteratorResult`
  // (`done`, `value`: `yield*` reads them before it calls `next` again). So a step taken inline
  // allocates nothing more. At the first `next` it takes the step, and either is done with its
  // result, or yields the Effect the step left (a wait, a failure, or the yield of every
  // `inlineStepBudget` inline steps) and is done with what that gives. A second `yield*` of the
  // same step starts afresh (and its `again` check fails it).
  private yielded = false
  done = false
  value: unknown = undefined

  override [Symbol.iterator](): Effect.EffectGenerator<Effect.Effect<A, E>> {
    this.yielded = false
    this.done = false
    this.value = undefined
    return this as unknown as Effect.EffectGenerator<Effect.Effect<A, E>>
  }

  next(value?: unknown): IteratorResult<YieldWrap<Effect.Effect<A, E>>, A> {
    const result = this as unknown as IteratorResult<YieldWrap<Effect.Effect<A, E>>, A>
    if (this.yielded) {
      this.done = true
      this.value = value
      return result
    }
    const r = this.step()
    this.yielded = true
    if (!isValue(r)) {
      this.value = new YieldWrap(r as Effect.Effect<A, E>)
    } else if (++this.endpoint.channel.inlineSteps < inlineStepBudget) {
      this.done = true
      this.value = r
    } else {
      this.endpoint.channel.inlineSteps = 0
      this.value = new YieldWrap(Effect.as(Effect.yieldNow(), r as A))
    }
    return result
  }

  return(value: A): IteratorResult<never, A> {
    return { done: true, value }
  }

  throw(e: unknown): never {
    throw e
  }
}

/**
 * A program's wait for the frame of a receive, one per channel (a lane runs one step at a
 * time), made on its first receive that waits, as `Role.implement` makes its `waitOn` once
 * per run: the wait (`Channel.waitFor`) resumes straight into the endpoint and label of the
 * receive waiting now, kept here. No closure, continuation or `Effect.async` per wait.
 */
class Receiver {
  endpoint: EndpointImpl | undefined = undefined
  label: string | undefined = undefined
  readonly wait: (state: RecvState) => Effect.Effect<Taken, RoleError>
  constructor(channel: Channel) {
    this.wait = channel.waitFor((e) => this.endpoint!.onFrame(this.label, e))
  }
}

const receiverOf = (channel: Channel): Receiver => (channel.programReceiver ??= new Receiver(channel)) as Receiver

class EndpointImpl {
  private spent = false
  /** Whether the Effect of the operation made on this endpoint has run. */
  private ran = false
  constructor(readonly channel: Channel, private readonly state: LState) {}

  /**
   * Marks the endpoint used: `undefined`, or the failure when it was used before or the
   * operation does not fit. The operation's name (`op(a, b)`) is put together only for an error.
   */
  private misuse(kind: LState["kind"], op: string, a?: string, b?: string): Effect.Effect<never, LinearityViolation | ImplementationError> | undefined {
    const { channel, state } = this
    if (this.spent) {
      const operation = named(op, a, b)
      return Effect.fail(
        new LinearityViolation({
          protocol: channel.protocol.name,
          role: channel.role,
          operation,
          message: `${channel.role} called ${operation} on an endpoint that was already used; use the endpoint each operation returns`
        })
      )
    }
    this.spent = true
    if (state.kind !== kind) {
      return Effect.fail(
        new ImplementationError({
          protocol: channel.protocol.name,
          role: channel.role,
          site: state.kind === "select" ? state.site : state.kind === "send" ? state.site : "",
          message: `${channel.role} called ${named(op, a, b)} where the protocol expects ${describe(state)}`
        })
      )
    }
    return undefined
  }

  /** Marks the endpoint used; fails when it was used before or the operation (`op()`) does not fit. */
  private use(op: string, kind: LState["kind"]): Effect.Effect<void, LinearityViolation | ImplementationError> {
    return this.misuse(kind, op) ?? Effect.void
  }

  /**
   * Marks the operation run: `undefined` the first time, the failure when the same Effect runs
   * again (its step was taken: running it twice would send twice, or take two frames).
   */
  private again(op: string, a?: string, b?: string): Effect.Effect<never, LinearityViolation> | undefined {
    if (!this.ran) {
      this.ran = true
      return undefined
    }
    const operation = named(op, a, b)
    return Effect.fail(
      new LinearityViolation({
        protocol: this.channel.protocol.name,
        role: this.channel.role,
        operation,
        message: `${this.channel.role} ran the Effect of ${operation} again; each operation's Effect runs once: use the endpoint it returned`
      })
    )
  }

  private mismatch(operation: string) {
    return Effect.fail(
      new ImplementationError({
        protocol: this.channel.protocol.name,
        role: this.channel.role,
        site: this.state.kind === "send" ? this.state.site : "",
        message: `${this.channel.role} called ${operation} where the protocol expects ${describe(this.state)}`
      })
    )
  }

  // `send`, `recv` and `offer` run on the channel's synchronous core (as `Role.implement`
  // does): a send the transport delivers at once, or a frame that is there already, takes no
  // Effect but the one that runs the step; only a wait does.

  send(to: string, label: string, payload: unknown): Effect.Effect<EndpointImpl, RoleError> {
    const wrong = this.misuse("send", "send", to, label)
    if (wrong !== undefined) return wrong
    return new Step(this, "send", to, label, payload)
  }

  /** The step of `send(to, label, payload)`, taken (see `Step`). */
  takeSend(to: string, label: string, payload: unknown): EndpointImpl | Effect.Effect<EndpointImpl, RoleError> {
    const twice = this.again("send", to, label)
    if (twice !== undefined) return twice
    const s = this.state
    if (s.kind !== "send" || s.peer !== to || s.label !== label) return this.mismatch(named("send", to, label))
    const next = this.channel.sendNow(s, payload)
    return isState(next) ? new EndpointImpl(this.channel, next) : Effect.map(next, (n) => new EndpointImpl(this.channel, n))
  }

  /**
   * The next frame for the receive state the endpoint is at (`s`, its state), taken and checked; then what the
   * operation answers with it (`taken`): the pair of `recv(…, label)`, or, `label` undefined,
   * what `offer()` answers.
   */
  private received(s: RecvState, label: string | undefined): Taken | Effect.Effect<Taken, RoleError> {
    const r = this.channel.receiveBuffered(s)
    if (r !== undefined) return isReceived(r) ? this.taken(r, label) : r
    const receiver = receiverOf(this.channel)
    receiver.endpoint = this
    receiver.label = label
    return receiver.wait(s)
  }

  /** A frame taken while at the endpoint's receive state: what the operation answers with it when it is the one, else a wait for the next. */
  onFrame(label: string | undefined, envelope: Envelope): Effect.Effect<Taken, RoleError> {
    const s = this.state as RecvState
    const r = this.channel.receiveFrame(s, envelope)
    if (r === undefined) return receiverOf(this.channel).wait(s)
    if (!isReceived(r)) return r
    const out = this.taken(r, label)
    return isValue(out) ? Effect.succeed(out as Taken) : out as Effect.Effect<Taken, RoleError>
  }

  /** What `recv(…, label)` (or, `label` undefined, `offer()`) answers with the frame taken. */
  private taken(r: Received, label: string | undefined): Taken | Effect.Effect<never, RoleError> {
    const next = new EndpointImpl(this.channel, r.next)
    if (label === undefined) return { label: r.label, payload: r.payload, next }
    if (r.label === label) return [r.payload, next] as const
    const from = (this.state as RecvState).peer
    return Effect.fail(
      new ProtocolViolation({
        protocol: this.channel.protocol.name,
        role: this.channel.role,
        peer: from,
        label: r.label,
        site: "",
        expected: `${label} from ${from}`,
        message: `${this.channel.role} waited for ${label} from ${from} but ${r.label} arrived; use offer() where several labels may arrive`
      })
    )
  }

  recv(from: string, label: string): Effect.Effect<readonly [unknown, EndpointImpl], RoleError> {
    const wrong = this.misuse("recv", "recv", from, label)
    if (wrong !== undefined) return wrong
    return new Step(this, "recv", from, label, undefined)
  }

  /** The step of `recv(from, label)`, taken (see `Step`). */
  takeRecv(from: string, label: string): Taken | Effect.Effect<Taken, RoleError> {
    const twice = this.again("recv", from, label)
    if (twice !== undefined) return twice
    const s = this.state
    if (s.kind !== "recv" || s.peer !== from || !s.options.has(label)) return this.mismatch(named("recv", from, label))
    return this.received(s, label)
  }

  offer(): Effect.Effect<Offered, RoleError> {
    const wrong = this.misuse("recv", "offer")
    if (wrong !== undefined) return wrong
    return new Step(this, "offer", "", "", undefined)
  }

  /** The step of `offer()`, taken (see `Step`). */
  takeOffer(): Taken | Effect.Effect<Taken, RoleError> {
    return this.again("offer") ?? this.received(this.state as RecvState, undefined)
  }

  select(branch: string): Effect.Effect<EndpointImpl, ImplementationError | LinearityViolation> {
    const wrong = this.misuse("select", "select", branch)
    if (wrong !== undefined) return wrong
    return new Step(this, "select", branch, "", undefined)
  }

  /** The step of `select(branch)`, taken (see `Step`). */
  takeSelect(branch: string): EndpointImpl | Effect.Effect<EndpointImpl, ImplementationError | LinearityViolation> {
    const twice = this.again("select", branch)
    if (twice !== undefined) return twice
    const next = this.channel.selectNow(this.state as SelectState, branch)
    return isState(next) ? new EndpointImpl(this.channel, next) : next
  }

  round() {
    type Round = { readonly label: "again"; readonly round: number; readonly next: EndpointImpl } | { readonly label: "done"; readonly next: EndpointImpl }
    return Effect.flatMap(this.use("round", "rounds"), (): Effect.Effect<Round, ImplementationError | LinearityViolation> => {
      const twice = this.again("round")
      if (twice !== undefined) return twice
      const r = this.channel.rounds(this.state as Extract<LState, { kind: "rounds" }>)
      if (Either.isLeft(r)) return Effect.fail(r.left)
      const next = new EndpointImpl(this.channel, r.right.next)
      return Effect.succeed(r.right.again ? { label: "again" as const, round: r.right.round, next } : { label: "done" as const, next })
    })
  }

  parallel(...branches: ReadonlyArray<(endpoint: EndpointImpl) => Effect.Effect<unknown, unknown, unknown>>) {
    return Effect.flatMap(this.use("parallel", "par"), () => {
      const twice = this.again("parallel")
      if (twice !== undefined) return twice
      const s = this.state as Extract<LState, { kind: "par" }>
      const lanes = this.channel.branches(s)
      if (lanes.length !== branches.length) {
        return Effect.fail(
          new ImplementationError({
            protocol: this.channel.protocol.name,
            role: this.channel.role,
            site: s.site,
            message: `${this.channel.role} gave ${branches.length} branches to parallel() at site ${s.site}, where it takes part in ${lanes.length}`
          })
        )
      }
      return Effect.map(
        Effect.forEach(
          lanes,
          (lane, i) => Effect.flatMap(branches[i](new EndpointImpl(lane.channel, lane.start)), (d) => doneValue(lane.channel, d)),
          { concurrency: "unbounded" }
        ),
        (results) => ({ results, next: new EndpointImpl(this.channel, this.channel.enter(s.next)) })
      )
    })
  }

  timeout(
    body: (endpoint: EndpointImpl) => Effect.Effect<unknown, unknown, unknown>,
    fallback: (endpoint: EndpointImpl) => Effect.Effect<unknown, unknown, unknown>
  ) {
    return Effect.flatMap(this.use(this.state.kind === "timeout" && this.state.trigger === "failure" ? "saga" : "timeout", "timeout"), () => {
      const twice = this.again("timeout")
      if (twice !== undefined) return twice
      const s = this.state as Extract<LState, { kind: "timeout" }>
      const part = (f: typeof body) => (p: Part) => Effect.flatMap(f(new EndpointImpl(p.channel, p.start)), (d) => doneValue(p.channel, d))
      return Effect.map(
        runTimeout(this.channel, s, part(body), part(fallback), Effect.void),
        (outcome) => ({ ...outcome, next: new EndpointImpl(this.channel, this.channel.enter(s.next)) })
      )
    })
  }

  saga(
    forward: (endpoint: EndpointImpl) => Effect.Effect<unknown, unknown, unknown>,
    compensate: (endpoint: EndpointImpl) => Effect.Effect<unknown, unknown, unknown>
  ) {
    return Effect.map(this.timeout(forward, compensate), (o) => ({ ...o, label: o.label === "intime" ? "committed" as const : "compensated" as const }))
  }

  close(result?: unknown) {
    return Effect.flatMap(this.use("close", "end"), (): Effect.Effect<object, RoleError> =>
      this.again("close") ?? Effect.map(this.channel.close(this.state as Extract<LState, { kind: "end" }>), () => {
        const done = {}
        issued.set(done, { channel: this.channel, value: result })
        return done
      }))
  }
}

/**
 * A hand-written role: `body` receives the role's endpoint, typed by its local type, and must
 * return the `Done` that `close()` produces at the end of the protocol. The role's result is
 * the value given to `close(value)`. When the Effect's result is not a `Done` on every path
 * (a value, an endpoint, nothing), it is checked against `ProgramEnd<D>`, a sentence that says
 * what to do (src/session/Endpoint.ts); `D` is not constrained to `Done` for that reason.
 *
 * @example
 * ```ts
 * const participant = Role.program(TwoPhaseCommit, "Participant", (ch) =>
 *   Effect.gen(function*() {
 *     const [req, c1] = yield* ch.recv("Coordinator", "PrepareRequest")
 *     const c2 = yield* c1.send("Coordinator", "PrepareResponse", { vote: "commit" })
 *     const branch = yield* c2.offer()
 *     switch (branch.label) {
 *       case "CommitRequest":
 *         return yield* (yield* branch.next.send("Coordinator", "CommitAck", {})).close(req.transactionId)
 *       case "AbortRequest":
 *         return yield* (yield* branch.next.send("Coordinator", "AbortAck", {})).close(req.transactionId)
 *     }
 *   }))
 * ```
 *
 * @category constructors
 */
export function program<const P extends Any, const R extends Roles<P>, D, E = never, Rq = never>(
  protocol: P,
  role: R,
  body: (endpoint: Endpoint<Local<P, R>>) => Effect.Effect<ProgramEnd<D>, E, Rq>
): Resumable<P, R, ResultOf<D>, Exclude<E, RoleError>, Rq>
/**
 * A hand-written role that follows a **declared** local type instead of its projection:
 * `options.local`, built with `Role.local(P)`, may do its outputs earlier than the projection
 * says (a send ahead of a receive, two `Ready`s up front, both parties of an exchange sending
 * first), and `body`'s endpoints follow it (`Endpoint<L>`). At definition (run time: not at
 * compile time) the declared type is checked to be an asynchronous subtype of the role's
 * projection (`Check.asyncSubtype`, within `options.bound`, default 10); otherwise this throws
 * a `DeclaredTypeError` that names the first action that cannot be moved. The other roles
 * are unchanged. Such a program is not resumable (`Role.resume` needs a projected role).
 *
 * @example
 * ```ts
 * const { send, recv, rec, rounds, var: v, end } = Role.local(Ring)
 * const B = Role.program(Ring, "B", { local: rec("laps", rounds("laps", send("C", "Value", recv("A", "Value", v("laps"))), end)) }, (ch) =>
 *   Effect.gen(function*() { ... }))
 * ```
 *
 * @category constructors
 */
export function program<const P extends Any, const R extends Roles<P>, const L extends DeclaredLocal, D, E = never, Rq = never>(
  protocol: P,
  role: R,
  options: DeclaredOptions<L>,
  body: (endpoint: Endpoint<L>) => Effect.Effect<ProgramEnd<D>, E, Rq>
): Implementation<P, R, ResultOf<D>, Exclude<E, RoleError>, Rq>
export function program(
  protocol: Any,
  role: string,
  bodyOrOptions: ((endpoint: never) => Effect.Effect<unknown, unknown, unknown>) | DeclaredOptions<DeclaredLocal>,
  declaredBody?: (endpoint: never) => Effect.Effect<unknown, unknown, unknown>
): Implementation<Any, string, unknown, unknown, unknown> {
  const declared = typeof bodyOrOptions === "function" ? undefined : declare(protocol, role, bodyOrOptions.local, bodyOrOptions.bound)
  const body = (typeof bodyOrOptions === "function" ? bodyOrOptions : declaredBody!) as (endpoint: EndpointImpl) => Effect.Effect<unknown, unknown, unknown>
  const run = (channel: Channel) =>
    Effect.flatMap(
      Effect.suspend(() => body(new EndpointImpl(channel, declared === undefined ? channel.start() : channel.enter(declared.initial)))),
      (done) => doneValue(channel, done)
    )
  // The endpoint implementation is loosely typed; the precise types are Endpoint<Local<P, R>> (or Endpoint<L>).
  const implementation = { _tag: "Implementation" as const, protocol, role, run: run as Implementation<Any, string, unknown, unknown, unknown>["run"] }
  return declared === undefined ? { ...implementation, durable: "program" } : implementation
}

/**
 * The result of a role program: the value its `close(value)` gave.
 *
 * @category type-level
 */
export type ResultOf<D> = D extends Done<infer A> ? A : never
