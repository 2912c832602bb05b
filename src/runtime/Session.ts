/**
 * Sessions: every role of a protocol run together in one process.
 *
 * @since 0.1.0
 */
import { Context, type Duration, Effect, Exit, Fiber, Option, Random } from "effect"
import { ImplementationError, type MaxRetriesExceeded, type RoleError, type TransportError } from "../effects/errors.js"
import { Observe, spanNames } from "../effects/Observe.js"
import { observeRole, Observer, observeSpan } from "../internal/observe.js"
import { TraceSink, type TraceSinkService } from "../effects/TraceSink.js"
import { synchronousCloseOf, Transport, type TransportService } from "../effects/Transport.js"
import * as Memory from "../handlers/memory.js"
import { type Any, expand, type Families, memberOf, type Roles } from "../protocol/Protocol.js"
import { ProjectionError } from "../effects/errors.js"
import { Channel } from "./channel.js"
import { clip } from "../internal/bounded.js"
import { own } from "../internal/own.js"
import { attemptId, type RetryOptions, retrying, stoppedBetween } from "./retry.js"
import { type Failure, type Implementation, type Requirements, type Success, timeoutMillis } from "./Role.js"
import { type StopError, untilStopped } from "./stop.js"

/**
 * One implementation per role of `P`.
 *
 * @category models
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
 * // `satisfies`, not a type annotation: the result types stay those of each implementation.
 * const roles = {
 *   A: Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0),
 *   B: Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 * } satisfies Session.Implementations<typeof PingPong>
 * const results = await Effect.runPromise(Session.run(PingPong, roles))
 * assert.deepStrictEqual(results, { A: 2, B: 1 })
 * ```
 *
 * @since 0.1.0
 */
export type Implementations<P extends Any> = {
  readonly [R in Roles<P>]:
    | Implementation<P, R, unknown, unknown, unknown>
    | (R extends Families<P> ? ReadonlyArray<Implementation<P, R, unknown, unknown, unknown>> : never)
}

/**
 * The implementations among `Implementations`' values: a family's may be one for every
 * member, or a list of one per member.
 *
 * @category models
 *
 * @example
 * ```ts
 * import type { Session } from "quadrille"
 *
 * // A list of implementations, one per member, stands for any one of them.
 * const same: [Session.Each<ReadonlyArray<"one member">>, Session.Each<"every member">] extends ["one member", "every member"] ? true : false = true
 * assert.strictEqual(same, true)
 * ```
 *
 * @since 0.1.0
 */
export type Each<X> = X extends ReadonlyArray<infer I> ? I : X

/**
 * What `Session.run` gives for implementations `I` of `P`: each role's result, and for a
 * family the results of its members, in the order of their indices.
 *
 * @category models
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 *
 * const Poll = Protocol.make("Poll", { roles: ["Host"], families: ["Voter"], messages: { Ask: Schema.String, Vote: Schema.Boolean } }, (g) =>
 *   g.broadcast("Host", "Voter", "Ask").gather("Voter", "Host", "Vote"))
 * const host = Role.implement(Poll, "Host", { send: { Ask: () => "tea?" }, recv: { Vote: (yes: number, vote) => vote ? yes + 1 : yes } }, 0)
 * const voter = Role.implement(Poll, "Voter", { recv: { Ask: (_, _question, { member }) => member ?? -1 }, send: { Vote: (m) => m % 2 === 0 } }, -1)
 *
 * // One result for the Host, a list for the family (member 0 first).
 * const results: Session.Results<typeof Poll, { Host: typeof host; Voter: typeof voter }> = await Effect.runPromise(
 *   Session.run(Poll, { Host: host, Voter: voter }, { params: { Voter: 3 } })
 * )
 * assert.deepStrictEqual(results, { Host: 2, Voter: [0, 1, 2] })
 * ```
 *
 * @since 0.1.0
 */
export type Results<P extends Any, I> = {
  readonly [R in keyof I]: string extends Families<P>
    // A protocol typed `Any`: which roles are families is not known here.
    ? Success<Each<I[R]>> | ReadonlyArray<Success<Each<I[R]>>>
    : R extends Families<P> ? ReadonlyArray<Success<Each<I[R]>>> : Success<I[R]>
}

/**
 * Options of `Session.run`.
 *
 * @category models
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
 * const options: Session.SessionOptions = { sessionId: "ping-1", validate: true, receiveTimeout: "5 seconds" }
 * const results = await Effect.runPromise(Session.run(PingPong, {
 *   A: Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0),
 *   B: Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 * }, options))
 * assert.deepStrictEqual(results, { A: 2, B: 1 })
 * ```
 *
 * @since 0.1.0
 */
export interface SessionOptions {
  /** The session id (default: a random id from Effect's `Random`, so seeded in simulations). */
  readonly sessionId?: string | undefined
  /** Decode received payloads with their Schemas (default: when the transport serialises). */
  readonly validate?: boolean | undefined
  /**
   * Session parameters given to every role: the number of rounds of each `repeat`, by its
   * name, and the number of members of each family, by the family's name.
   */
  readonly params?: Readonly<Record<string, number>> | undefined
  /**
   * How long a role may wait for any one message before failing with `Timeout`
   * (default: for ever). On the simulator and under `TestClock` this is virtual time.
   */
  readonly receiveTimeout?: Duration.DurationInput | undefined
  /**
   * Stops the session when it completes (a `Deferred.await`, a `Effect.sleep`, ...): every
   * role still running is interrupted and the run fails with `Stopped` (the roles it names
   * were still running). The way a server, a protocol with a `forever` loop, ends. A role that
   * fails first fails the session as usual. Interrupting the run also ends every role.
   */
  readonly stop?: Effect.Effect<unknown> | undefined
}

/** Every byte as two hex digits. */
const hexBytes = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"))

/** The first 48 of the 53 random bits of `x` (a draw of `Random.next`) as 12 hex digits. */
const hex48 = (x: number): string => {
  const hi = Math.floor(x * 0x1000000)
  const lo = Math.floor(x * 0x1000000000000) % 0x1000000
  return hexBytes[hi >>> 16] + hexBytes[(hi >>> 8) & 255] + hexBytes[hi & 255] + hexBytes[lo >>> 16] + hexBytes[(lo >>> 8) & 255] + hexBytes[lo & 255]
}

/**
 * A random id in the shape of a UUID (version 4), drawn from Effect's `Random` (so a seeded
 * `Random` gives the same ids): three draws of 48 bits make 32 hex digits, of which 6 bits are
 * then the version and the variant. (Eight draws of 16 bits through `Effect.all`, formatted
 * by `toString(16)`, cost about 4.6 µs a session.)
 */
const randomId: Effect.Effect<string> = Effect.flatMap(Random.next, (a) =>
  Effect.flatMap(Random.next, (b) =>
    Effect.map(Random.next, (c) => {
      const h = hex48(a) + hex48(b) + hex48(c)
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${hexBytes[(parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80][0]}${h.slice(17, 20)}-${h.slice(20, 32)}`
    })))

/**
 * Runs `effects` at once, each on a fiber of its own, and gives their results in order: what
 * `Effect.all(effects, { concurrency: "unbounded" })` does. At the first failure the others
 * are interrupted (and waited for); the failure is then the parallel cause of every exit that
 * failed, in order. Interrupted, it interrupts them all and waits for them. `Effect.all` runs
 * a fiber more to start and collect its fibers, and costs about 40 µs for two effects on
 * Node 20 here; this costs about a third of that, which is a large part of a short session.
 */
const allConcurrently = <A, E, R>(
  effects: ReadonlyArray<Effect.Effect<A, E, R>>,
  ended?: (index: number, exit: Exit.Exit<A, E>) => void
): Effect.Effect<Array<A>, E, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiberRuntime<Array<A>, E, R>((parent) => {
      const fibers: Array<Fiber.RuntimeFiber<A, E>> = []
      const forkFrom = (i: number): Effect.Effect<Array<A>, E, R> => {
        if (i < effects.length) {
          return Effect.flatMap(Effect.fork(restore(effects[i])), (fiber) => {
            fibers.push(fiber)
            return forkFrom(i + 1)
          })
        }
        const all = Effect.async<Exit.Exit<Array<A>, E>>((resume) => {
          const exits: Array<Exit.Exit<A, E>> = new Array(fibers.length)
          let left = fibers.length
          let failed = false
          for (let k = 0; k < fibers.length; k++) {
            fibers[k].addObserver((exit) => {
              exits[k] = exit
              left--
              ended?.(k, exit)
              if (!failed && Exit.isFailure(exit)) {
                failed = true
                // As `Effect.all` does, on the scheduler: a role failing at the same moment still fails with its own error.
                for (const other of fibers) {
                  if (other !== fibers[k]) other.currentScheduler.scheduleTask(() => other.unsafeInterruptAsFork(parent.id()), 0, other)
                }
              }
              if (left === 0) resume(Effect.succeed(collected(exits)))
            })
          }
        })
        return Effect.flatten(Effect.onInterrupt(restore(all), () => Fiber.interruptAll(fibers)))
      }
      return forkFrom(0)
    }))

/** The exits of every role as one: their values in order, or the parallel cause of every failure. */
const collected = <A, E>(exits: ReadonlyArray<Exit.Exit<A, E>>): Exit.Exit<Array<A>, E> => {
  const values: Array<A> = new Array(exits.length)
  for (let i = 0; i < exits.length; i++) {
    const exit = exits[i]
    // (`Exit.all` copies its input through `Array.fromIterable` first: 1 % of a short session.)
    if (exit._tag === "Failure") return Option.getOrElse(Exit.all(exits, { parallel: true }), () => Exit.succeed([])) as Exit.Exit<Array<A>, E>
    values[i] = exit.value
  }
  return Exit.succeed(values)
}

/**
 * Opens every role of a session on the transport, in order; when one is refused, closes those
 * opened already and fails.
 */
const openAll = (transport: TransportService, session: string, roles: ReadonlyArray<string>): Effect.Effect<void, TransportError> => {
  const { close, open } = transport
  if (open === undefined) return Effect.void
  // (A chain of flatMaps: `Effect.forEach` with a `tap` per role cost a session about 1 µs more.)
  let opened = 0
  const from = (i: number): Effect.Effect<void, TransportError> =>
    i === roles.length ? Effect.void : Effect.flatMap(open(session, roles[i], roles), () => {
      opened = i + 1
      return from(i + 1)
    })
  return Effect.uninterruptibleMask((restore) =>
    Effect.onError(
      restore(from(0)),
      () => close === undefined ? Effect.void : Effect.forEach(roles.slice(0, opened), (role) => close(session, role), { discard: true })
    ))
}

/**
 * Runs every role of `protocol` concurrently and returns each role's result. The roles talk
 * over the `Transport` in context, or over a fresh in-memory transport when there is none.
 * If one role fails, the others are interrupted and the session fails with that error.
 *
 * @category running
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
 * const ping = Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const pong = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * const results = await Effect.runPromise(Session.run(PingPong, { A: ping, B: pong }))
 * assert.deepStrictEqual(results, { A: 2, B: 1 })
 * ```
 *
 * @since 0.1.0
 */
export const run = <P extends Any, const I extends Implementations<P>, const O extends SessionOptions = {}>(
  protocol: P,
  implementations: I,
  options: O = {} as O
): Effect.Effect<
  Results<P, I>,
  Failure<Each<I[keyof I]>> | RoleError | StopError<O>,
  Requirements<Each<I[keyof I]>>
> =>
  Effect.contextWithEffect((context: Context.Context<never>) => {
    // One look at the context for the three services a session may use.
    const observe = Context.getOption(context, Observe)
    const transport = Option.getOrUndefined(Context.getOption(context, Transport))
    const trace = Option.getOrUndefined(Context.getOption(context, TraceSink))
    return Option.isNone(observe)
      ? runSession(protocol, implementations, options, undefined, transport, trace)
      : observeSpan(observe.value, Effect.suspend(() => runSession(protocol, implementations, options, observe.value, transport, trace)), spanNames.session, { "quadrille.protocol": protocol.name })
  }) as never

/**
 * The protocol a session of `protocol` runs: itself, or, when it has families, its expansion
 * for the sizes in `params`. A bad size is the caller's mistake: an `ImplementationError`.
 */
const sessionProtocol = (protocol: Any, params: Readonly<Record<string, number>> | undefined): Effect.Effect<Any, ImplementationError> =>
  protocol.families.length === 0 ? Effect.succeed(protocol) : Effect.try({
    try: () => expand(protocol, (params ?? {}) as never) as Any,
    catch: (e) =>
      new ImplementationError({
        protocol: protocol.name,
        role: e instanceof ProjectionError && e.role !== undefined ? e.role : "",
        site: "",
        message: `Session.run(${protocol.name}): ${e instanceof ProjectionError ? e.message : String(e)}`
      })
  })

const runSession = (
  family: Any,
  implementations: Implementations<Any>,
  options: SessionOptions,
  observe: Observe["Type"] | undefined,
  provided: TransportService | undefined,
  trace: TraceSinkService | undefined
): Effect.Effect<Record<string, unknown>, unknown, unknown> => {
  // No `Effect.gen` here: a session's start is mostly synchronous, and each step of a
  // generator costs an Effect; only what may wait (the expansion, a transport with span
  // events, the random id, the span's annotation) is an Effect.
  const withTransport = (protocol: Any) => {
    // With `Observe`, the transport's sink also makes span events (Memory.make); without, the trace's own.
    if (provided !== undefined || observe !== undefined) {
      return Effect.flatMap(provided === undefined ? Memory.make : Effect.succeed(provided), (transport) => withId(protocol, transport))
    }
    return withId(protocol, Memory.unsafeMake(trace))
  }
  const withId = (protocol: Any, transport: TransportService) => {
    if (options.sessionId !== undefined && !observe?.spans) return startSession(family, protocol, impls, options, observe, transport, trace, options.sessionId)
    return Effect.flatMap(options.sessionId === undefined ? randomId : Effect.succeed(options.sessionId), (sessionId) =>
      observe?.spans
        ? Effect.zipRight(Effect.annotateCurrentSpan("quadrille.session", sessionId), startSession(family, protocol, impls, options, observe, transport, trace, sessionId))
        : startSession(family, protocol, impls, options, observe, transport, trace, sessionId))
  }
  const impls = implementations as unknown as Record<string, Implementation<Any, string, unknown, unknown, unknown>>
  return family.families.length === 0 ? withTransport(family) : Effect.flatMap(sessionProtocol(family, options.params), withTransport)
}

/** A session of `protocol` (`family` expanded) with its transport and id: checks the implementations, opens every role, runs them. */
const startSession = (
  family: Any,
  protocol: Any,
  impls: Record<string, Implementation<Any, string, unknown, unknown, unknown>>,
  options: SessionOptions,
  observe: Observe["Type"] | undefined,
  transport: TransportService,
  trace: TraceSinkService | undefined,
  sessionId: string
): Effect.Effect<Record<string, unknown>, unknown, unknown> => {
  const receiveTimeout = timeoutMillis(options.receiveTimeout)
  const validate = options.validate ?? transport.serialises
  for (const r of Object.keys(impls)) {
    if (family.roles.includes(r)) continue
    const extra = Object.keys(impls).filter((k) => !family.roles.includes(k))
    return Effect.fail(
      new ImplementationError({
        protocol: protocol.name,
        role: extra[0],
        site: "",
        message: `Session.run(${protocol.name}): ${extra.map((k) => `'${clip(k, 60)}'`).join(", ")} ${extra.length === 1 ? "is not a role" : "are not roles"} of the protocol, whose roles are ${family.roles.join(", ")}`
      })
    )
  }
  const runs: Array<Effect.Effect<unknown, unknown, unknown>> = []
  // With Observe, a role's span ends after its close: the close stays in the role's run.
  const syncClose = observe === undefined ? synchronousCloseOf(transport) : undefined
  // The roles that have ended: those a stop does not name.
  const done = new Set<string>()
  // Each role is closed when it ends, and any left open (a run interrupted before it started) at the end.
  const closed = new Set<string>()
  const closeRole = (role: string) =>
    Effect.suspend(() => {
      if (transport.close === undefined || closed.has(role)) return Effect.void
      closed.add(role)
      return transport.close(sessionId, role)
    })
  for (const role of protocol.roles) {
    // A member of a family runs the family's implementation.
    const member = family === protocol ? undefined : memberOf(family, role)
    const named = member?.family ?? role
    const given = own(impls, named) as Implementation<Any, string, unknown, unknown, unknown> | ReadonlyArray<Implementation<Any, string, unknown, unknown, unknown>> | undefined
    if (Array.isArray(given) && member !== undefined && given.length !== protocol.roles.filter((r) => memberOf(family, r)?.family === named).length) {
      return Effect.fail(
        new ImplementationError({
          protocol: protocol.name,
          role: named,
          site: "",
          message: `Session.run(${protocol.name}): ${given.length} implementations are given for family ${named}, which has ${protocol.roles.filter((r) => memberOf(family, r)?.family === named).length} members: give one for every member, or a list of one per member`
        })
      )
    }
    const impl = Array.isArray(given) ? (member === undefined ? undefined : given[member.index]) : given as Implementation<Any, string, unknown, unknown, unknown> | undefined
    if (impl === undefined || impl.role !== named || impl.protocol !== family) {
      return Effect.fail(
        new ImplementationError({
          protocol: protocol.name,
          role,
          site: "",
          message: impl === undefined
            ? `Session.run(${protocol.name}): no implementation for ${named === role ? "role" : "family"} ${named}`
            : `Session.run(${protocol.name}): the implementation given for ${named} is for ${impl.role} of ${impl.protocol.name}`
        })
      )
    }
    const observer = observe === undefined ? undefined : new Observer(observe, protocol.name, trace)
    const channel = new Channel(protocol, role, sessionId, transport, validate, options.params, "", observer ?? trace, receiveTimeout)
    // No failure notices here: every role of the protocol runs in this session, and when one
    // fails the others are interrupted at once (a notice would only race the root cause).
    // Over a transport that closes at once, a role is closed where its fiber's end is seen
    // (`ended`), without an Effect around each role; else when the role's own run ends.
    const body = syncClose !== undefined ? impl.run(channel) : Effect.onExit(impl.run(channel), (exit) => {
      if (Exit.isSuccess(exit)) done.add(role)
      return closeRole(role)
    })
    runs.push(observer === undefined ? body : observeRole(observer, body, role, sessionId))
  }
  /** Closes `role` at once over a transport that closes at once (once). */
  const closeNow = (close: (session: string, role: string) => void, role: string) => {
    if (closed.has(role)) return
    closed.add(role)
    close(sessionId, role)
  }
  const ended = syncClose === undefined ? undefined : (i: number, exit: Exit.Exit<unknown, unknown>) => {
    if (Exit.isSuccess(exit)) done.add(protocol.roles[i])
    closeNow(syncClose, protocol.roles[i])
  }
  // Every role is opened before any runs: a role that ends at once must not find its peers
  // not there yet (a transport forgets a session once none of its roles runs).
  const running = Effect.ensuring(
    untilStopped(
      allConcurrently(runs, ended),
      options.stop,
      protocol.name,
      sessionId,
      () => protocol.roles.filter((r) => !done.has(r))
    ),
    syncClose === undefined
      ? Effect.forEach(protocol.roles, closeRole, { discard: true })
      : Effect.sync(() => protocol.roles.forEach((role) => closeNow(syncClose, role)))
  )
  return Effect.flatMap(openAll(transport, sessionId, protocol.roles), () =>
    Effect.map(running, (results) => {
      // (`fromEntries`: a role's name is never a key assigned on a plain object.)
      if (family === protocol) return Object.fromEntries(protocol.roles.map((role, i) => [role, results[i]]))
      const out: Record<string, unknown> = Object.fromEntries(family.families.map((f) => [f, []]))
      protocol.roles.forEach((role, i) => {
        const m = memberOf(family, role)
        if (m === undefined) out[role] = results[i]
        else (out[m.family] as Array<unknown>)[m.index] = results[i]
      })
      return out
    }))
}

/**
 * Options of `Session.retry`: those of `Session.run` and a retry `schedule`. `stop` is one
 * stop for the whole retried run (a server under retry): it runs once, not once per attempt;
 * when it completes, the attempt running is stopped (`Stopped`, never retried), or, between
 * attempts, the run ends with `Stopped` naming no role.
 *
 * @category models
 *
 * @example
 * ```ts
 * import { Schedule } from "effect"
 * import type { Session } from "quadrille"
 *
 * // 3 attempts, 100 ms then 200 ms apart, each role waiting at most a second for a message.
 * const options: Session.SessionRetryOptions = {
 *   schedule: Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(2))),
 *   receiveTimeout: "1 second"
 * }
 * assert.strictEqual(options.receiveTimeout, "1 second")
 * ```
 *
 * @since 0.1.0
 */
export interface SessionRetryOptions extends SessionOptions, RetryOptions {}

/**
 * Runs a session like `run`, and again, as a fresh session, after a retryable failure, on
 * `schedule`: attempt k has the session id `<sessionId>#k` (the base id is random when not
 * given). Retryable errors (`isRetryable`, or `options.while`) are retried; any other fails
 * at once. When the schedule allows no more attempts the run fails with `MaxRetriesExceeded`,
 * which carries the number of attempts and the last error.
 *
 * @category running
 *
 * @example
 * ```ts
 * import { Effect, Schedule, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * const roles = {
 *   A: Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0),
 *   B: Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 * }
 * // 3 attempts, 100 ms then 200 ms apart; attempt k runs as session "<sessionId>#k".
 * const results = await Effect.runPromise(Session.retry(PingPong, roles, {
 *   sessionId: "order-17",
 *   schedule: Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(2))),
 *   receiveTimeout: "1 second"
 * }))
 * assert.deepStrictEqual(results, { A: 2, B: 1 })
 * ```
 *
 * @since 0.1.0
 */
export const retry = <P extends Any, const I extends Implementations<P>, const O extends SessionRetryOptions = SessionRetryOptions>(
  protocol: P,
  implementations: I,
  options: O
): Effect.Effect<
  Results<P, I>,
  Failure<Each<I[keyof I]>> | RoleError | MaxRetriesExceeded | StopError<O>,
  Requirements<Each<I[keyof I]>>
> =>
  Effect.flatMap(options.sessionId === undefined ? randomId : Effect.succeed(options.sessionId), (base) =>
    retrying(
      `Session ${protocol.name} (${base})`,
      (k, stop) => run(protocol, implementations, { ...options, sessionId: attemptId(base, k), stop }),
      options,
      { protocol: protocol.name, session: base },
      { signal: options.stop, between: (k) => stoppedBetween(protocol.name, base, k) }
    )) as never // The run fails with `Stopped` only when `options` give `stop` (what `StopError<O>` says).
