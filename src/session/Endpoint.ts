/**
 * Typed, linear endpoints. `Endpoint<L>` is the channel of a role whose local type is `L`:
 * only the operation `L` allows is callable, and it returns the endpoint of the
 * continuation. Any other operation's `this` type is a sentence naming what the protocol
 * expects, so a misuse reads as such in the compiler's message (and is its only error). What a
 * program must return (`ProgramEnd`) and the exhaustive handling of an offer (`Offered`) put
 * sentences in the compiler's messages the same way.
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import type { RoleError } from "../effects/errors.js"
import { own } from "../internal/own.js"
import type { Branch, Each, End, Exchange, Offer, Par, ProjectionFailure, Rec, Recv, Rounds, Saga, Select, Send, Timeout, Var } from "./Local.js"

/**
 * @category symbols
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { Done, DoneTypeId } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * // The brand of a `Done`: only `close()` makes one, so a program must walk its local type to the end.
 * type Result<D> = D extends { readonly [DoneTypeId]: infer A } ? A : never
 * const result: Result<Done<number>> = 2
 * assert.strictEqual(result, 2)
 * ```
 *
 * @since 0.1.0
 */
export declare const DoneTypeId: unique symbol

/**
 * What `close()` on an `End` endpoint produces, and what a role program must return: a
 * program cannot produce it without walking its local type to the end.
 *
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 * import type { Done, EndEndpoint } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * // A helper that finishes a role: it takes the last endpoint and gives the `Done` to return.
 * const finish = (end: EndEndpoint, pongs: number): Effect.Effect<Done<string>, unknown> => end.close(`${pongs} pong`)
 * const a = Role.program(PingPong, "A", (ch) =>
 *   Effect.gen(function*() {
 *     const [pong, end] = yield* (yield* ch.send("B", "Ping", 1)).recv("B", "Pong")
 *     return yield* finish(end, pong)
 *   }))
 * const b = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n } }, 0)
 *
 * assert.deepStrictEqual(await Effect.runPromise(Session.run(PingPong, { A: a, B: b })), { A: "1 pong", B: 1 })
 * ```
 *
 * @since 0.1.0
 */
export interface Done<out A = void> {
  readonly [DoneTypeId]: A
}

/**
 * What the Effect of a role program (`Role.program(P, role, (ch) => ...)`) must succeed with:
 * `D`, what it does succeed with, when that is a `Done` (every path ends with `return yield*
 * end.close(...)` on its last endpoint); otherwise a sentence that says what to do, which the
 * compiler shows as the type the program's result is not assignable to.
 *
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { Done, ProgramEnd, ReturnsValue } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * const ok: ProgramEnd<Done<number>> extends Done<number> ? true : false = true
 * // A program that returns its result instead of `close(result)`: the sentence says so.
 * const forgot: [ProgramEnd<number>] extends [ReturnsValue] ? true : false = true
 * assert.strictEqual(ok && forgot, true)
 * ```
 *
 * @since 0.1.0
 */
export type ProgramEnd<D> = [D] extends [Done<unknown>] ? D
  : Extract<D, Done<unknown>> | NotClosed<Exclude<D, Done<unknown>>>

/** The sentence for a program result `X` (its members that are not a `Done`). */
type NotClosed<X> = [Extract<X, Effect.Effect<Done<unknown>, unknown, unknown>>] extends [never]
  ? [StillExpects<X>] extends [never] ? [Extract<X, undefined | void>] extends [never] ? ReturnsValue : ReturnsNothing
  : ReturnsEndpoint<StillExpects<X>>
  : ReturnsEffect

/**
 * What the protocol expects of an endpoint `X`: the sentence of its disallowed operations
 * (`send` is disallowed on every endpoint but a `SendEndpoint`, and `recv` there).
 */
type StillExpects<X> = X extends unknown ? ExpectsOf<X, "send"> | ExpectsOf<X, "recv"> : never
type ExpectsOf<X, Op extends string> = X extends
  { readonly [K in Op]: (this: Expects<infer W>, ...args: ReadonlyArray<unknown>) => Misstep } ? string extends W ? never : W
  : never

/**
 * @category messages
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
 * Role.program(PingPong, "A", (ch) =>
 *   // @ts-expect-error "the program must end with close() on its last endpoint: return yield* end.close(result), not the result itself"
 *   Effect.gen(function*() {
 *     const [pong] = yield* (yield* ch.send("B", "Ping", 1)).recv("B", "Pong")
 *     return pong
 *   }))
 * ```
 *
 * @since 0.1.0
 */
export type ReturnsValue =
  "the program must end with close() on its last endpoint: return yield* end.close(result), not the result itself"
/**
 * @category messages
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
 * Role.program(PingPong, "A", (ch) =>
 *   // @ts-expect-error "the program must end with close() on its last endpoint on every path, and one returns nothing: ..."
 *   Effect.gen(function*() {
 *     yield* (yield* ch.send("B", "Ping", 1)).recv("B", "Pong")
 *   }))
 * ```
 *
 * @since 0.1.0
 */
export type ReturnsNothing =
  "the program must end with close() on its last endpoint on every path, and one returns nothing: is a branch of offer() not handled? (in a switch over its label, default: return Offered.exhaustive(branch) names the labels left)"
/**
 * @category messages
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
 * Role.program(PingPong, "A", (ch) =>
 *   // @ts-expect-error "... it returns an endpoint where the protocol still expects recv Pong from B"
 *   Effect.gen(function*() {
 *     return yield* ch.send("B", "Ping", 1)
 *   }))
 * ```
 *
 * @since 0.1.0
 */
export type ReturnsEndpoint<What extends string> =
  `the program must end with close() on its last endpoint, and it returns an endpoint where the protocol still expects ${Alternatives<What>}`
/**
 * @category messages
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
 * Role.program(PingPong, "A", (ch) =>
 *   // @ts-expect-error "the program returns the Effect of close() without running it: return yield* end.close(...)"
 *   Effect.gen(function*() {
 *     const [, end] = yield* (yield* ch.send("B", "Ping", 1)).recv("B", "Pong")
 *     return end.close()
 *   }))
 * ```
 *
 * @since 0.1.0
 */
export type ReturnsEffect = "the program returns the Effect of close() without running it: return yield* end.close(...)"

/**
 * The `this` type of an operation the protocol does not allow here: calling it fails to
 * compile with "The 'this' context of type ... is not assignable to method's 'this' of type
 * 'the protocol expects ...'".
 *
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 * import type { Expects } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * const sentence: Expects<"recv Pong from B"> = "the protocol expects recv Pong from B here"
 * Role.program(PingPong, "A", (ch) =>
 *   Effect.gen(function*() {
 *     // @ts-expect-error The 'this' context ... is not assignable to method's 'this' of type '"the protocol expects send Ping to B here"'
 *     yield* ch.recv("B", "Pong")
 *     return yield* Effect.die(sentence)
 *   }))
 * ```
 *
 * @since 0.1.0
 */
export type Expects<What extends string> = `the protocol expects ${What} here`

type UnionToIntersection<U> = (U extends unknown ? (k: U) => void : never) extends (k: infer I) => void ? I : never
type LastOf<U> = UnionToIntersection<U extends unknown ? () => U : never> extends () => infer L ? L : never

/**
 * The members of a union of strings, joined by ` | ` (for error sentences).
 *
 * @example
 * ```ts
 * import type { Alternatives } from "quadrille"
 *
 * const sentence: Alternatives<"yes" | "no"> extends "yes | no" | "no | yes" ? true : false = true
 * assert.strictEqual(sentence, true)
 * ```
 *
 * @since 0.1.0
 */
export type Alternatives<U extends string, Acc extends string = ""> = [U] extends [never] ? Acc
  : LastOf<U> extends infer L extends string ? Alternatives<Exclude<U, L>, Acc extends "" ? L : `${L} | ${Acc}`>
  : Acc

/**
 * The bindings of the `Rec`s enclosing a point of a local type, to unfold `Var`s: the `Env`
 * of the endpoints inside a loop.
 *
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { Bind, Endpoint, Local, Send, Var } from "quadrille"
 *
 * const Ticks = Protocol.make("Ticks", { roles: ["Clock", "Listener"], messages: { Tick: Schema.Number } }, (g) =>
 *   g.forever("ticks", (l) => l.msg("Clock", "Listener", "Tick").recur("ticks")))
 *
 * // Inside the loop, `Env` binds "ticks" to its body, so that `Var<"ticks">` unfolds again.
 * type Body = Send<"Listener", "Tick", number, Var<"ticks">>
 * type Clock = Endpoint<Local<typeof Ticks, "Clock">>
 * const bound: [Clock] extends [Endpoint<Body, Bind<"ticks", Body, never>>] ? true : false = true
 * assert.strictEqual(bound, true)
 * ```
 *
 * @since 0.1.0
 */
export interface Bind<out Name extends string, out Body, out Env> {
  readonly name: Name
  readonly body: Body
  readonly env: Env
}

type Rebind<Env, Name extends string, Body> =
  | Exclude<Env, Bind<Name, unknown, unknown>>
  | Bind<Name, Body, Exclude<Env, Bind<Name, unknown, unknown>>>

/**
 * The endpoint of a role whose local type is `L`.
 *
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 * import type { Endpoint, Local } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * // A helper written against the endpoint type of A's start.
 * const ping = (ch: Endpoint<Local<typeof PingPong, "A">>, n: number) => ch.send("B", "Ping", n)
 * const a = Role.program(PingPong, "A", (ch) =>
 *   Effect.gen(function*() {
 *     const [pong, end] = yield* (yield* ping(ch, 1)).recv("B", "Pong")
 *     return yield* end.close(pong)
 *   }))
 * const b = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * assert.deepStrictEqual(await Effect.runPromise(Session.run(PingPong, { A: a, B: b })), { A: 2, B: 1 })
 * ```
 *
 * @since 0.1.0
 */
export type Endpoint<L, Env = never> = L extends Send<infer To, infer Label, infer P, infer K>
  ? SendEndpoint<To, Label, P, K, Env>
  : L extends Recv<infer From, infer Label, infer P, infer K> ? RecvEndpoint<From, Label, P, K, Env>
  : L extends Select<infer B> ? SelectEndpoint<B, Env>
  : L extends Offer<infer From, infer B> ? OfferEndpoint<From, B, Env>
  : L extends Rounds<infer N, infer Again, infer Done> ? RoundsEndpoint<N, Again, Done, Env>
  : L extends Par<infer Bs, infer K> ? ParEndpoint<Bs, K, Env>
  : L extends Rec<infer N, infer Body> ? Endpoint<Body, Rebind<Env, N, Body>>
  : L extends Var<infer N> ? Env extends Bind<N, infer Body, infer Outer> ? Endpoint<Body, Rebind<Outer, N, Body>> : never
  : L extends End ? EndEndpoint
  : L extends ProjectionFailure<infer Message> ? FailedEndpoint<Message>
  : L extends Timeout<infer N, infer At, infer Body, infer Fallback, infer K> ? TimeoutEndpoint<N, At, Body, Fallback, K, Env>
  : L extends Saga<infer N, infer O, infer F, infer C, infer K> ? SagaEndpoint<N, O, F, C, K, Env>
  : L extends Each<infer F, boolean, unknown, unknown> ? FamilyStepEndpoint<`a step with each member of ${F}`>
  : L extends Exchange<infer F, infer Label, unknown, unknown> ? FamilyStepEndpoint<`exchange ${Label} with the other members of ${F}`>
  : never

/**
 * What an operation the protocol does not allow gives, once its call has failed to compile:
 * `any`, so that `const [x, next] = yield* ch.recv(...)` at the wrong point has that one error
 * and none after it (no "Type 'never' must have a '[Symbol.iterator]()' method", no errors on
 * the uses of `x` and `next`).
 *
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 * import type { Misstep } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * Role.program(PingPong, "A", (ch) =>
 *   Effect.gen(function*() {
 *     // @ts-expect-error one error at the wrong call; `pong` and `next` are `any` after it, so none follows
 *     const step: Misstep = ch.recv("B", "Pong")
 *     const [pong, next] = yield* step
 *     return yield* next.close(pong)
 *   }))
 * ```
 *
 * @since 0.1.0
 */
export type Misstep = Effect.Effect<any, RoleError>

/**
 * The operations every endpoint has; the ones not allowed at a point take an `Expects`
 * `this` (the one error of a misuse) and give a `Misstep`.
 *
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { Disallowed, Endpoint, Local } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * // At A's start only `send` is allowed; every other operation takes an `Expects` `this`.
 * type Start = Endpoint<Local<typeof PingPong, "A">>
 * const disallowed: Start extends Omit<Disallowed<"send Ping to B">, "send"> ? true : false = true
 * assert.strictEqual(disallowed, true)
 * ```
 *
 * @since 0.1.0
 */
export interface Disallowed<What extends string> {
  send(this: Expects<What>, ...args: ReadonlyArray<unknown>): Misstep
  recv(this: Expects<What>, ...args: ReadonlyArray<unknown>): Misstep
  select(this: Expects<What>, ...args: ReadonlyArray<unknown>): Misstep
  offer(this: Expects<What>, ...args: ReadonlyArray<unknown>): Misstep
  close(this: Expects<What>, ...args: ReadonlyArray<unknown>): Misstep
  round(this: Expects<What>, ...args: ReadonlyArray<unknown>): Misstep
  parallel(this: Expects<What>, ...args: ReadonlyArray<unknown>): Misstep
  timeout(this: Expects<What>, ...args: ReadonlyArray<unknown>): Misstep
  saga(this: Expects<What>, ...args: ReadonlyArray<unknown>): Misstep
}

/**
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { End, Endpoint, Local, Recv, SendEndpoint } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * const start: [Endpoint<Local<typeof PingPong, "A">>] extends [SendEndpoint<"B", "Ping", number, Recv<"B", "Pong", number, End>, never>] ? true : false = true
 * assert.strictEqual(start, true)
 * ```
 *
 * @since 0.1.0
 */
export interface SendEndpoint<To extends string, Label extends string, P, K, Env>
  extends Omit<Disallowed<`send ${Label} to ${To}`>, "send">
{
  /** Sends `label` with `payload` to `to`; returns the endpoint of what follows. */
  send(to: To, label: Label, payload: P): Effect.Effect<Endpoint<K, Env>, RoleError>
}

/**
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { End, Endpoint, Local, RecvEndpoint, Send } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * const start: [Endpoint<Local<typeof PingPong, "B">>] extends [RecvEndpoint<"A", "Ping", number, Send<"A", "Pong", number, End>, never>] ? true : false = true
 * assert.strictEqual(start, true)
 * ```
 *
 * @since 0.1.0
 */
export interface RecvEndpoint<From extends string, Label extends string, P, K, Env>
  extends Omit<Disallowed<`recv ${Label} from ${From}`>, "recv">
{
  /** Waits for `label` from `from`; returns its payload and the endpoint of what follows. */
  recv(from: From, label: Label): Effect.Effect<readonly [P, Endpoint<K, Env>], RoleError>
}

/**
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 *
 * // A chooses; B learns the branch from the label it receives.
 * const Vote = Protocol.make("Vote", {
 *   roles: ["A", "B"],
 *   messages: { Yes: Schema.Struct({}), No: Schema.Struct({}) }
 * }, (g) => g.choice("A", "answer", { yes: (b) => b.msg("A", "B", "Yes"), no: (b) => b.msg("A", "B", "No") }))
 *
 * const a = Role.program(Vote, "A", (ch) =>
 *   Effect.gen(function*() {
 *     const yes = yield* ch.select("yes")
 *     return yield* (yield* yes.send("B", "Yes", {})).close("said yes")
 *   }))
 * const b = Role.program(Vote, "B", (ch) =>
 *   Effect.gen(function*() {
 *     const branch = yield* ch.offer()
 *     return yield* branch.next.close(branch.label)
 *   }))
 *
 * assert.deepStrictEqual(await Effect.runPromise(Session.run(Vote, { A: a, B: b })), { A: "said yes", B: "Yes" })
 * ```
 *
 * @since 0.1.0
 */
export interface SelectEndpoint<B, Env>
  extends Omit<Disallowed<`select one of ${Alternatives<Extract<keyof B, string>>}`>, "select">
{
  /** Takes `branch`; returns the endpoint of that branch. */
  select<const Br extends keyof B & string>(branch: Br): Effect.Effect<Endpoint<B[Br], Env>, RoleError>
}

/**
 * One outcome of `offer()`: the label that arrived, its payload, and the endpoint of that
 * branch.
 *
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Offered, Protocol, Role, Session } from "quadrille"
 *
 * // A chooses; B learns the branch from the label it receives.
 * const Vote = Protocol.make("Vote", {
 *   roles: ["A", "B"],
 *   messages: { Yes: Schema.Struct({}), No: Schema.Struct({}) }
 * }, (g) => g.choice("A", "answer", { yes: (b) => b.msg("A", "B", "Yes"), no: (b) => b.msg("A", "B", "No") }))
 *
 * const a = Role.implement(Vote, "A", { choose: { answer: () => "no" }, send: { Yes: () => ({}), No: () => ({}) } }, null)
 * const b = Role.program(Vote, "B", (ch) =>
 *   Effect.gen(function*() {
 *     const branch = yield* ch.offer()
 *     return yield* Offered.match(branch, {
 *       Yes: (yes) => yes.next.close(true),
 *       No: (no) => no.next.close(false)
 *     })
 *   }))
 *
 * assert.deepStrictEqual(await Effect.runPromise(Session.run(Vote, { A: a, B: b })), { A: null, B: false })
 * ```
 *
 * @since 0.1.0
 */
export interface Offered<out Label extends string, out P, out Next> {
  readonly label: Label
  readonly payload: P
  readonly next: Next
}

/**
 * The labels of a union of `Offered`s.
 *
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { Endpoint, Local, OfferedLabel } from "quadrille"
 *
 * // A chooses; B learns the branch from the label it receives.
 * const Vote = Protocol.make("Vote", {
 *   roles: ["A", "B"],
 *   messages: { Yes: Schema.Struct({}), No: Schema.Struct({}) }
 * }, (g) => g.choice("A", "answer", { yes: (b) => b.msg("A", "B", "Yes"), no: (b) => b.msg("A", "B", "No") }))
 *
 * type B = Endpoint<Local<typeof Vote, "B">>
 * type Outcome = B extends { offer(): Effect.Effect<infer O, unknown> } ? O : never
 * const labels: [OfferedLabel<Outcome>] extends ["Yes" | "No"] ? true : false = true
 * assert.strictEqual(labels, true)
 * ```
 *
 * @since 0.1.0
 */
export type OfferedLabel<O> = O extends { readonly label: infer L extends string } ? L : never

/**
 * The type `Offered.exhaustive` takes where some branches of an offer are not handled: the
 * message names them.
 *
 * @category messages
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Offered, Protocol, Role } from "quadrille"
 *
 * // A chooses; B learns the branch from the label it receives.
 * const Vote = Protocol.make("Vote", {
 *   roles: ["A", "B"],
 *   messages: { Yes: Schema.Struct({}), No: Schema.Struct({}) }
 * }, (g) => g.choice("A", "answer", { yes: (b) => b.msg("A", "B", "Yes"), no: (b) => b.msg("A", "B", "No") }))
 *
 * Role.program(Vote, "B", (ch) =>
 *   Effect.gen(function*() {
 *     const branch = yield* ch.offer()
 *     switch (branch.label) {
 *       case "Yes":
 *         return yield* branch.next.close(true)
 *       default:
 *         // @ts-expect-error '... is not assignable to parameter of type "offer() branches not handled: No"'
 *         return Offered.exhaustive(branch)
 *     }
 *   }))
 * ```
 *
 * @since 0.1.0
 */
export type MissingBranches<L extends string> = `offer() branches not handled: ${Alternatives<L>}`

/**
 * One function per branch of an offer, by label: what `Offered.match` takes. (Their results
 * are `any` here only so that a `match` that fails to compile gives `any`, not errors after it.)
 *
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Offered, Protocol } from "quadrille"
 * import type { Endpoint, Local, OfferHandlers } from "quadrille"
 *
 * // A chooses; B learns the branch from the label it receives.
 * const Vote = Protocol.make("Vote", {
 *   roles: ["A", "B"],
 *   messages: { Yes: Schema.Struct({}), No: Schema.Struct({}) }
 * }, (g) => g.choice("A", "answer", { yes: (b) => b.msg("A", "B", "Yes"), no: (b) => b.msg("A", "B", "No") }))
 *
 * type Outcome = Endpoint<Local<typeof Vote, "B">> extends { offer(): Effect.Effect<infer O, unknown> } ? O : never
 * // One function per label, for `Offered.match`.
 * const handlers: OfferHandlers<Outcome> = {
 *   Yes: (yes) => yes.next.close(true),
 *   No: (no) => no.next.close(false)
 * }
 * assert.deepStrictEqual(Object.keys(handlers), ["Yes", "No"])
 * ```
 *
 * @since 0.1.0
 */
export type OfferHandlers<O> = {
  readonly [X in OfferedLabel<O>]: (branch: Extract<O, { readonly label: X }>) => any
}

/**
 * `unknown` when the handlers `H` of `Offered.match` cover every label of `O`; else the
 * missing labels, each with a `MissingBranches` (the type the handlers must also have).
 *
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Offered, Protocol, Role } from "quadrille"
 *
 * // A chooses; B learns the branch from the label it receives.
 * const Vote = Protocol.make("Vote", {
 *   roles: ["A", "B"],
 *   messages: { Yes: Schema.Struct({}), No: Schema.Struct({}) }
 * }, (g) => g.choice("A", "answer", { yes: (b) => b.msg("A", "B", "Yes"), no: (b) => b.msg("A", "B", "No") }))
 *
 * Role.program(Vote, "B", (ch) =>
 *   Effect.gen(function*() {
 *     const branch = yield* ch.offer()
 *     // @ts-expect-error Property 'No' is missing ... '{ readonly No: "offer() branches not handled: No" }'
 *     return yield* Offered.match(branch, { Yes: (yes) => yes.next.close(true) })
 *   }))
 * ```
 *
 * @since 0.1.0
 */
export type MissingHandlers<O, H> = [Exclude<OfferedLabel<O>, keyof H>] extends [never] ? unknown
  : { readonly [X in Exclude<OfferedLabel<O>, keyof H>]: MissingBranches<Exclude<OfferedLabel<O>, keyof H>> }

/**
 * What `Offered.match` returns: one Effect when every handler returns an Effect (of the union
 * of their results, errors and requirements), else the union of what they return.
 *
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Offered, Protocol, Role, Session } from "quadrille"
 *
 * // A chooses; B learns the branch from the label it receives.
 * const Vote = Protocol.make("Vote", {
 *   roles: ["A", "B"],
 *   messages: { Yes: Schema.Struct({}), No: Schema.Struct({}) }
 * }, (g) => g.choice("A", "answer", { yes: (b) => b.msg("A", "B", "Yes"), no: (b) => b.msg("A", "B", "No") }))
 *
 * const b = Role.program(Vote, "B", (ch) =>
 *   Effect.gen(function*() {
 *     const branch = yield* ch.offer()
 *     // Every handler returns an Effect: `match` gives one Effect, ready for `yield*`.
 *     const done = Offered.match(branch, { Yes: (yes) => yes.next.close(1), No: (no) => no.next.close(0) })
 *     return yield* done
 *   }))
 * const a = Role.implement(Vote, "A", { choose: { answer: () => "yes" }, send: { Yes: () => ({}), No: () => ({}) } }, null)
 * assert.deepStrictEqual(await Effect.runPromise(Session.run(Vote, { A: a, B: b })), { A: null, B: 1 })
 * ```
 *
 * @since 0.1.0
 */
export type MatchResult<H> = Returns<H[keyof H]> extends infer R ? 0 extends 1 & R ? R
  : [R] extends [Effect.Effect<unknown, unknown, unknown>] ? Effect.Effect<SuccessOf<R>, ErrorOf<R>, ContextOf<R>>
  : R
  : never
type Returns<F> = F extends (...args: never) => infer R ? R : never
type SuccessOf<R> = R extends Effect.Effect<infer A, unknown, unknown> ? A : never
type ErrorOf<R> = R extends Effect.Effect<unknown, infer E, unknown> ? E : never
type ContextOf<R> = R extends Effect.Effect<unknown, unknown, infer C> ? C : never

/**
 * Exhaustive handling of what `offer()` gave (a forgotten branch inside a loop goes round
 * again instead of reaching the end of the program, so only this catches it there):
 *
 * - `Offered.match(branch, { Label: (b) => ..., ... })` calls the function of the label that
 *   arrived and returns what it returns: one Effect when they all return Effects (ready for
 *   `yield*`), else the union of their results. A label without a function fails to compile
 *   with "Property 'Label' is missing ... '{ readonly Label: "offer() branches not handled:
 *   Label" }'".
 * - In a `switch` over `branch.label` (or a chain of `if`s), `default: return
 *   Offered.exhaustive(branch)` compiles only when no label is left (`branch` is `never`
 *   there), and otherwise fails with "... is not assignable to parameter of type
 *   '"offer() branches not handled: Label"'".
 *
 * Both are plain functions of the value `offer()` gave; neither does any I/O.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Offered, Protocol, Role, Session } from "quadrille"
 *
 * // A chooses; B learns the branch from the label it receives.
 * const Vote = Protocol.make("Vote", {
 *   roles: ["A", "B"],
 *   messages: { Yes: Schema.Struct({}), No: Schema.Struct({}) }
 * }, (g) => g.choice("A", "answer", { yes: (b) => b.msg("A", "B", "Yes"), no: (b) => b.msg("A", "B", "No") }))
 *
 * // B handles each label in a switch; `Offered.exhaustive` compiles only when none is left.
 * const b = Role.program(Vote, "B", (ch) =>
 *   Effect.gen(function*() {
 *     const branch = yield* ch.offer()
 *     switch (branch.label) {
 *       case "Yes":
 *         return yield* branch.next.close(true)
 *       case "No":
 *         return yield* branch.next.close(false)
 *       default:
 *         return Offered.exhaustive(branch)
 *     }
 *   }))
 * const a = Role.implement(Vote, "A", { choose: { answer: () => "yes" }, send: { Yes: () => ({}), No: () => ({}) } }, null)
 *
 * assert.deepStrictEqual(await Effect.runPromise(Session.run(Vote, { A: a, B: b })), { A: null, B: true })
 * ```
 *
 * @category endpoints
 * @since 0.1.0
 */
export const Offered = {
  match: <O extends Offered<string, unknown, unknown>, H extends Partial<OfferHandlers<O>>>(
    offered: O,
    handlers: H & MissingHandlers<O, H>
  ): MatchResult<H> => {
    // Own properties only: a label named `toString` finds a handler only when one was given.
    const handler = own(handlers as { readonly [label: string]: (branch: O) => MatchResult<H> }, offered.label)
    if (handler === undefined) return Offered.exhaustive(offered as never)
    return handler(offered)
  },
  exhaustive: <O>(offered: [O] extends [never] ? O : MissingBranches<OfferedLabel<O>>): never => {
    // Reached only past the types (a cast, or an untyped caller).
    throw new Error(`offer(): branch ${String((offered as { label?: unknown } | undefined)?.label)} is not handled`)
  }
}

/**
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { Branch, End, Endpoint, Local, OfferEndpoint } from "quadrille"
 *
 * // A chooses; B learns the branch from the label it receives.
 * const Vote = Protocol.make("Vote", {
 *   roles: ["A", "B"],
 *   messages: { Yes: Schema.Struct({}), No: Schema.Struct({}) }
 * }, (g) => g.choice("A", "answer", { yes: (b) => b.msg("A", "B", "Yes"), no: (b) => b.msg("A", "B", "No") }))
 *
 * type B = Endpoint<Local<typeof Vote, "B">>
 * const offer: [B] extends [OfferEndpoint<"A", { Yes: Branch<{}, End>; No: Branch<{}, End> }, never>] ? true : false = true
 * assert.strictEqual(offer, true)
 * ```
 *
 * @since 0.1.0
 */
export interface OfferEndpoint<From extends string, B, Env>
  extends Omit<Disallowed<`offer() from ${From}, one of ${Alternatives<Extract<keyof B, string>>}`>, "offer">
{
  /**
   * Waits for whichever of the branch labels `From` sends; returns a union discriminated by
   * `label`, each with its payload and the endpoint of its branch.
   */
  offer(): Effect.Effect<
    { [X in keyof B & string]: B[X] extends Branch<infer P, infer K> ? Offered<X, P, Endpoint<K, Env>> : never }[
      keyof B & string
    ],
    RoleError
  >
}

/**
 * The round check of a `repeat`: `round()` says whether another round follows (and which,
 * from 0) or the repeat is over, with the endpoint of what follows.
 *
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 *
 * const Pings = Protocol.make("Pings", { roles: ["A", "B"], messages: { Ping: Schema.Number } }, (g) =>
 *   g.repeat("rounds", (r) => r.msg("A", "B", "Ping")))
 *
 * const a = Role.program(Pings, "A", (ch) =>
 *   Effect.gen(function*() {
 *     let at = yield* ch.round()
 *     while (at.label === "again") {
 *       const next = yield* at.next.send("B", "Ping", at.round)
 *       at = yield* next.round()
 *     }
 *     return yield* at.next.close()
 *   }))
 * const b = Role.implement(Pings, "B", { recv: { Ping: (sum, n) => sum + n } }, 0)
 *
 * const results = await Effect.runPromise(Session.run(Pings, { A: a, B: b }, { params: { rounds: 3 } }))
 * assert.deepStrictEqual(results, { A: undefined, B: 0 + 1 + 2 })
 * ```
 *
 * @since 0.1.0
 */
export interface RoundsEndpoint<Param extends string, Again, Done, Env>
  extends Omit<Disallowed<`round() of '${Param}'`>, "round">
{
  round(): Effect.Effect<
    | { readonly label: "again"; readonly round: number; readonly next: Endpoint<Again, Env> }
    | { readonly label: "done"; readonly next: Endpoint<Done, Env> },
    RoleError
  >
}

/**
 * The role's branches of a `parallel`: `parallel(f0, f1, ...)` runs one function per branch
 * concurrently, each on the endpoint of its branch and returning the `Done` of its end, and
 * gives their results and the endpoint of what follows the barrier.
 *
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 *
 * const Fan = Protocol.make("Fan", { roles: ["A", "B", "C"], messages: { Job: Schema.Number } }, (g) =>
 *   g.parallel((b) => b.msg("A", "B", "Job"), (c) => c.msg("A", "C", "Job")))
 *
 * const a = Role.program(Fan, "A", (ch) =>
 *   Effect.gen(function*() {
 *     const { next, results } = yield* ch.parallel(
 *       (toB) => Effect.flatMap(toB.send("B", "Job", 1), (end) => end.close("b")),
 *       (toC) => Effect.flatMap(toC.send("C", "Job", 2), (end) => end.close("c"))
 *     )
 *     return yield* next.close(results.join(""))
 *   }))
 * const b = Role.implement(Fan, "B", { recv: { Job: (_, n) => n } }, 0)
 * const c = Role.implement(Fan, "C", { recv: { Job: (_, n) => n } }, 0)
 *
 * assert.deepStrictEqual(await Effect.runPromise(Session.run(Fan, { A: a, B: b, C: c })), { A: "bc", B: 1, C: 2 })
 * ```
 *
 * @since 0.1.0
 */
export interface ParEndpoint<Bs extends ReadonlyArray<unknown>, K, Env>
  extends Omit<Disallowed<`parallel() with ${Bs["length"]} branches`>, "parallel">
{
  parallel<
    const Fs extends { readonly [I in keyof Bs]: (endpoint: Endpoint<Bs[I]>) => Effect.Effect<Done<unknown>, unknown, unknown> }
  >(
    ...branches: Fs
  ): Effect.Effect<
    {
      readonly results: { readonly [I in keyof Fs]: Fs[I] extends (...args: never) => Effect.Effect<Done<infer A>, unknown, unknown> ? A : never }
      readonly next: Endpoint<K, Env>
    },
    RoleError | Effect.Effect.Error<ReturnType<Fs[number]>>,
    Effect.Effect.Context<ReturnType<Fs[number]>>
  >
}

/**
 * The result of an `Effect` that yields a `Done` (distributes over a union of Effects; a
 * member that cannot succeed, such as `Effect.fail(e)`, adds nothing).
 */
/**
 * What the function `F` of a part `L` (of a timeout or a saga) must be: it must end with
 * `close()`, as a program must. (A parallel's branches keep their `Done` constraint: as a rest
 * parameter, the check would move the error from the branch to the whole call.)
 */
type PartEnd<L, F> = F extends (endpoint: never) => Effect.Effect<infer D, infer E, infer R>
  ? (endpoint: Endpoint<L>) => Effect.Effect<ProgramEnd<D>, E, R>
  : F

type DoneResult<E> = E extends Effect.Effect<infer D, unknown, unknown> ? D extends Done<infer A> ? A : never : never

/**
 * One outcome of `timeout()`: `"intime"` when the body ended before the deadline, with what
 * the body function closed with, or `"timeout"` when time ran out, with what the fallback
 * function closed with; `next` is the endpoint of what follows the timeout in both.
 *
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 *
 * // A waits a second for B's Reply; B never sends it in time here, so A cancels.
 * const Ask = Protocol.make("Ask", { roles: ["A", "B"], messages: { Reply: Schema.String, Cancel: Schema.Struct({}) } }, (g) =>
 *   g.timeout("A", "answer", "50 millis", (b) => b.msg("B", "A", "Reply"), (f) => f.msg("A", "B", "Cancel")))
 *
 * const a = Role.program(Ask, "A", (ch) =>
 *   Effect.gen(function*() {
 *     const outcome = yield* ch.timeout(
 *       (body) => Effect.flatMap(body.recv("B", "Reply"), ([reply, end]) => end.close(reply)),
 *       (fallback) => Effect.flatMap(fallback.send("B", "Cancel", {}), (end) => end.close("cancelled"))
 *     )
 *     return yield* outcome.next.close(`${outcome.label}: ${outcome.result}`)
 *   }))
 * const b = Role.program(Ask, "B", (ch) =>
 *   Effect.gen(function*() {
 *     const outcome = yield* ch.timeout(
 *       (body) => Effect.flatMap(Effect.zipRight(Effect.sleep("1 second"), body.send("A", "Reply", "late")), (end) => end.close()),
 *       (fallback) => Effect.flatMap(fallback.recv("A", "Cancel"), ([, end]) => end.close())
 *     )
 *     return yield* outcome.next.close(outcome.label)
 *   }))
 *
 * assert.deepStrictEqual(await Effect.runPromise(Session.run(Ask, { A: a, B: b })), { A: "timeout: cancelled", B: "timeout" })
 * ```
 *
 * @since 0.1.0
 */
export type TimeoutOutcome<Label extends "intime" | "timeout", A, Next> = PartOutcome<Label, A, Next>

/**
 * How a timeout or a saga ended for the role: which part ran to its end (`label`), what its
 * function closed with, and the endpoint of what follows.
 *
 * @category endpoints
 *
 * @example
 * ```ts
 * import type { PartOutcome, SagaOutcome, TimeoutOutcome } from "quadrille"
 *
 * const same: [TimeoutOutcome<"intime", string, null>] extends [PartOutcome<"intime", string, null>] ? true : false = true
 * const alsoSame: [SagaOutcome<"committed", number, null>] extends [PartOutcome<"committed", number, null>] ? true : false = true
 * assert.strictEqual(same && alsoSame, true)
 * ```
 *
 * @since 0.1.0
 */
export interface PartOutcome<out Label extends string, out A, out Next> {
  readonly label: Label
  readonly result: A
  readonly next: Next
}

/**
 * The role's part of timeout `Name`, which `At` decides: `timeout(body, fallback)` runs
 * `body` on the endpoint of the role's part of the body. When `At`'s time runs out, the body
 * function is interrupted if it is still running, and `fallback` runs on the endpoint of the role's
 * part of the fallback. Each function returns the `Done` of its part's end (a part the role
 * has no action in is just `close()`); the result says which one ran to the end.
 *
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { End, Endpoint, Local, Recv, Send, TimeoutEndpoint } from "quadrille"
 *
 * const Ask = Protocol.make("Ask", { roles: ["A", "B"], messages: { Reply: Schema.String, Cancel: Schema.Struct({}) } }, (g) =>
 *   g.timeout("A", "answer", "1 second", (b) => b.msg("B", "A", "Reply"), (f) => f.msg("A", "B", "Cancel")))
 *
 * type A = Endpoint<Local<typeof Ask, "A">>
 * const timed: [A] extends [TimeoutEndpoint<"answer", "A", Recv<"B", "Reply", string, End>, Send<"B", "Cancel", {}, End>, End, never>] ? true : false = true
 * assert.strictEqual(timed, true)
 * ```
 *
 * @since 0.1.0
 */
export interface TimeoutEndpoint<Name extends string, At extends string, Body, Fallback, K, Env>
  extends Omit<Disallowed<`timeout() '${Name}'`>, "timeout">
{
  timeout<
    const FB extends (endpoint: Endpoint<Body>) => Effect.Effect<unknown, unknown, unknown>,
    const FF extends (endpoint: Endpoint<Fallback>) => Effect.Effect<unknown, unknown, unknown>
  >(
    body: FB & PartEnd<Body, FB>,
    fallback: FF & PartEnd<Fallback, FF>
  ): Effect.Effect<
    | TimeoutOutcome<"intime", DoneResult<ReturnType<FB>>, Endpoint<K, Env>>
    | TimeoutOutcome<"timeout", DoneResult<ReturnType<FF>>, Endpoint<K, Env>>,
    RoleError | Effect.Effect.Error<ReturnType<FB>> | Effect.Effect.Error<ReturnType<FF>>,
    Effect.Effect.Context<ReturnType<FB>> | Effect.Effect.Context<ReturnType<FF>>
  >
}

/**
 * One outcome of `saga()`: `"committed"` when the forward part ran to its end, with what the
 * forward function closed with, or `"compensated"` when the owner switched the saga to its
 * compensation, with what the compensate function closed with; `next` is the endpoint of
 * what follows the saga in both.
 *
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 *
 * // A books with B; when B's part fails, A has B release instead.
 * const Booking = Protocol.make("Booking", {
 *   roles: ["A", "B"],
 *   messages: { Book: Schema.String, Booked: Schema.Struct({}), Release: Schema.Struct({}) }
 * }, (g) => g.saga("A", "booking", (f) => f.msg("A", "B", "Book").msg("B", "A", "Booked"), (c) => c.msg("A", "B", "Release")))
 *
 * const a = Role.program(Booking, "A", (ch) =>
 *   Effect.gen(function*() {
 *     const outcome = yield* ch.saga(
 *       (forward) => Effect.flatMap(forward.send("B", "Book", "room 7"), (next) => Effect.flatMap(next.recv("B", "Booked"), ([, end]) => end.close("booked"))),
 *       (compensate) => Effect.flatMap(compensate.send("B", "Release", {}), (end) => end.close("released"))
 *     )
 *     return yield* outcome.next.close(`${outcome.label}: ${outcome.result}`)
 *   }))
 * const b = Role.program(Booking, "B", (ch) =>
 *   Effect.gen(function*() {
 *     const outcome = yield* ch.saga(
 *       (forward) => Effect.flatMap(forward.recv("A", "Book"), () => Effect.fail("no room")),
 *       (compensate) => Effect.flatMap(compensate.recv("A", "Release"), ([, end]) => end.close())
 *     )
 *     return yield* outcome.next.close(outcome.label)
 *   }))
 *
 * assert.deepStrictEqual(await Effect.runPromise(Session.run(Booking, { A: a, B: b })), { A: "compensated: released", B: "compensated" })
 * ```
 *
 * @since 0.1.0
 */
export type SagaOutcome<Label extends "committed" | "compensated", A, Next> = PartOutcome<Label, A, Next>

/**
 * The role's part of saga `Name`, which `Owner` decides: `saga(forward, compensate)` runs
 * `forward` on the endpoint of the role's part of the forward part. When anything fails inside
 * the saga (this function's own failure, a `Timeout`, a `DecodeError`, a peer's failure, or
 * the owner's word that another role failed), the forward function is interrupted if it is
 * still running, and `compensate` runs on the endpoint of the role's part of the compensation.
 * Each function returns the `Done` of its part's end (a part the role has no action in is
 * just `close()`); the result says which one ran to the end. A failure of `forward` is what
 * triggers the compensation, so its error type does not escape; a failure of `compensate` does.
 * (The functions are type parameters, as in `timeout()`, so that a function returning a union
 * of Effects, such as `ok ? end.close(x) : Effect.fail(e)`, keeps every member's result and
 * error.)
 *
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { End, Endpoint, Local, Recv, SagaEndpoint, Send } from "quadrille"
 *
 * const Booking = Protocol.make("Booking", {
 *   roles: ["A", "B"],
 *   messages: { Book: Schema.String, Booked: Schema.Struct({}), Release: Schema.Struct({}) }
 * }, (g) => g.saga("A", "booking", (f) => f.msg("A", "B", "Book").msg("B", "A", "Booked"), (c) => c.msg("A", "B", "Release")))
 *
 * type A = Endpoint<Local<typeof Booking, "A">>
 * type Expected = SagaEndpoint<"booking", "A", Send<"B", "Book", string, Recv<"B", "Booked", {}, End>>, Send<"B", "Release", {}, End>, End, never>
 * const exact: [A] extends [Expected] ? true : false = true
 * assert.strictEqual(exact, true)
 * ```
 *
 * @since 0.1.0
 */
export interface SagaEndpoint<Name extends string, Owner extends string, Forward, Compensate, K, Env>
  extends Omit<Disallowed<`saga() '${Name}'`>, "saga">
{
  saga<
    const FF extends (endpoint: Endpoint<Forward>) => Effect.Effect<unknown, unknown, unknown>,
    const FC extends (endpoint: Endpoint<Compensate>) => Effect.Effect<unknown, unknown, unknown>
  >(
    forward: FF & PartEnd<Forward, FF>,
    compensate: FC & PartEnd<Compensate, FC>
  ): Effect.Effect<
    | SagaOutcome<"committed", DoneResult<ReturnType<FF>>, Endpoint<K, Env>>
    | SagaOutcome<"compensated", DoneResult<ReturnType<FC>>, Endpoint<K, Env>>,
    RoleError | Effect.Effect.Error<ReturnType<FC>>,
    Effect.Effect.Context<ReturnType<FF>> | Effect.Effect.Context<ReturnType<FC>>
  >
}

/**
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 * import type { EndEndpoint } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * const a = Role.program(PingPong, "A", (ch) =>
 *   Effect.gen(function*() {
 *     const [pong, end] = yield* (yield* ch.send("B", "Ping", 1)).recv("B", "Pong")
 *     const last: EndEndpoint = end
 *     return yield* last.close({ pong })
 *   }))
 * const b = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * assert.deepStrictEqual(await Effect.runPromise(Session.run(PingPong, { A: a, B: b })), { A: { pong: 2 }, B: 1 })
 * ```
 *
 * @since 0.1.0
 */
export interface EndEndpoint extends Omit<Disallowed<"close()">, "close"> {
  /** Ends the role; the program returns the `Done` this produces, with an optional result. */
  close(): Effect.Effect<Done<void>, RoleError>
  close<const A>(result: A): Effect.Effect<Done<A>, RoleError>
}

/**
 * The endpoint at a point where the protocol cannot be projected onto the role: every
 * operation fails to compile with the projection error's sentence.
 *
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Either, Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { Endpoint, FailedEndpoint, Local } from "quadrille"
 *
 * // `makeEither` does not check at compile time; B's endpoint then says why it has no local type.
 * const Blind = Protocol.makeEither("Blind", {
 *   roles: ["A", "B", "C"],
 *   messages: { X: Schema.Number, Y: Schema.Number }
 * }, (g) =>
 *   g.choice("A", "pick", {
 *     left: (b) => b.msg("A", "C", "X"),
 *     right: (b) => b.msg("A", "C", "X").msg("B", "C", "Y")
 *   }))
 *
 * type B = Endpoint<Local<Either.Either.Right<typeof Blind>, "B">>
 * const failed: B extends FailedEndpoint<string> ? true : false = true
 * assert.strictEqual(failed, true)
 * ```
 *
 * @since 0.1.0
 */
export interface FailedEndpoint<Message extends string> extends Disallowed<`a well-formed protocol: ${Message}`> {}

/**
 * The endpoint where a role's next step is over the members of a family (`Each`, `Exchange`),
 * which a hand-written program cannot take yet: every operation is refused, with a sentence
 * that says to implement the role with `Role.implement` (whose handlers are called once per
 * member).
 *
 * @category endpoints
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { Endpoint, FamilyStepEndpoint, Local } from "quadrille"
 *
 * const Poll = Protocol.make("Poll", { roles: ["Host"], families: ["Voter"], messages: { Ask: Schema.String, Vote: Schema.Boolean } }, (g) =>
 *   g.broadcast("Host", "Voter", "Ask").gather("Voter", "Host", "Vote"))
 *
 * // The Host's first step is with each voter: a program cannot take it, Role.implement can.
 * type Host = Endpoint<Local<typeof Poll, "Host">>
 * const refused: Host extends FamilyStepEndpoint<string> ? true : false = true
 * assert.strictEqual(refused, true)
 * ```
 *
 * @since 0.1.0
 */
export interface FamilyStepEndpoint<What extends string> extends Disallowed<`${What} (Role.implement runs it: implement this role with Role.implement)`> {}
