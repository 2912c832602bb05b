/**
 * The handler record of a generated implementation, typed from the global type: one `send`
 * handler per label the role sends, one `choose` handler per choice it makes (answering one
 * of that choice's branch names), one `onTimeout` handler per timeout it decides, and optional
 * `recv` handlers per label it receives, `onTimeout` handlers per other timeout it is in and
 * `onCompensate` handlers per saga it is in.
 *
 * @since 0.1.0
 */
import type { Effect, Schema } from "effect"
import type { GBlock, GBranch, GChoice, GEach, GExchange, GLoop, GMsg, GPar, GRounds, GSaga, GTimeout, RolesIn, Then } from "./Global.js"
import type { Catalogue } from "../protocol/Protocol.js"

/**
 * A handler answers with a value, an Effect of it, or a Promise of it (awaited; a rejection
 * is a defect of the role, as a handler that throws is).
 *
 * @category handlers
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { Answer } from "quadrille"
 *
 * // Three ways for a handler to give a payload of 1.
 * const answers: ReadonlyArray<Answer<number>> = [1, Effect.succeed(1), Promise.resolve(1)]
 * assert.strictEqual(answers.length, 3)
 * ```
 *
 * @since 0.1.0
 */
export type Answer<A> = A | Effect.Effect<A, unknown, unknown> | PromiseLike<A>

/**
 * What a handler is told about the step it answers for: the session, the role, the peer (for a
 * send, the receiver; for a receive, the sender; none for a choice or a timeout), the label (or
 * the choice's, the timeout's or the saga's name), the step's site, and how many times each
 * enclosing loop and repeat has gone round (`rounds`, by name; 0 in the first pass).
 *
 * @category handlers
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 * import type { StepContext } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * const seen: Array<string> = []
 * const a = Role.implement(PingPong, "A", {
 *   send: { Ping: (_, context: StepContext<string, "Ping">) => (seen.push(`${context.role} sends ${context.label} to ${context.peer} at ${context.site}`), 1) },
 *   recv: { Pong: (_, n) => n }
 * }, 0)
 * const b = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n + 1 } }, 0)
 *
 * await Effect.runPromise(Session.run(PingPong, { A: a, B: b }))
 * assert.deepStrictEqual(seen, ["A sends Ping to B at 0"])
 * ```
 *
 * @since 0.1.0
 */
export interface StepContext<out Peer extends string = string, out Label extends string = string> {
  readonly session: string
  /** The role running the handler: for a member of a family, its name (`Bidder[2]`). */
  readonly role: string
  /** For a member of a family, its index (0 for `Bidder[0]`); otherwise `undefined`. */
  readonly member: number | undefined
  readonly peer: [Peer] extends [never] ? undefined : Peer
  readonly label: Label
  readonly site: string
  readonly rounds: Readonly<Record<string, number>>
}

/**
 * The brand of `WithState`.
 *
 * @internal
 *
 * @since 0.1.0
 */
export declare const WithStateTypeId: unique symbol

/**
 * A `send` or `choose` handler's answer that also changes the user state: `value` is sent (or
 * names the branch), and `state` is the state from then on. Made by `Role.withState`.
 *
 * @category handlers
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 * import type { WithState } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * // Sends the count so far and counts one more.
 * const next = (sent: number): WithState<number, number> => Role.withState(sent, sent + 1)
 * const a = Role.implement(PingPong, "A", { send: { Ping: next }, recv: { Pong: (sent) => sent } }, 0)
 * const b = Role.implement(PingPong, "B", { recv: { Ping: (_, n) => n }, send: { Pong: (n) => n } }, -1)
 *
 * const results = await Effect.runPromise(Session.run(PingPong, { A: a, B: b }))
 * assert.deepStrictEqual(results, { A: 1, B: 0 })
 * ```
 *
 * @since 0.1.0
 */
export interface WithState<out A, out S> {
  readonly [WithStateTypeId]: typeof WithStateTypeId
  readonly value: A
  readonly state: S
}

interface SendsLabel<out L, out To = string> {
  readonly sends: L
  readonly to: To
}
interface ReceivesLabel<out L, out From = string> {
  readonly receives: L
  readonly from: From
}
interface MakesChoice<out N, out Branches> {
  readonly choice: N
  readonly branches: Branches
}
interface DecidesTimeout<out N> {
  readonly decides: N
}
interface InTimeout<out N> {
  readonly timeout: N
}
interface InSaga<out N> {
  readonly saga: N
}

/** What role `R` does anywhere in global type `G` (tail-recursive along each sequence). */
type Actions<G, R extends string, Acc = never> = G extends Then<infer Init, infer Last>
  ? Actions<Init, R, Acc | ActionsOf<Last, R>>
  : Acc

type ActionsOf<S, R extends string> = S extends GMsg<infer F, infer T, infer L>
  ? (F extends R ? SendsLabel<L, T> : never) | (T extends R ? ReceivesLabel<L, F> : never)
  : S extends GChoice<infer At, infer N, infer B>
    ? (At extends R ? MakesChoice<N, B extends GBranch<infer L, unknown> ? L : never> : never) | ActionsOfBranches<B, R>
  : S extends GLoop<string, infer Body> ? Actions<Body, R>
  : S extends GBlock<string, infer Body> ? Actions<Body, R>
  : S extends GRounds<string, infer Again> ? Actions<Again, R>
  : S extends GPar<infer B> ? { [K in keyof B]: Actions<B[K], R> }[number & keyof B]
  : S extends GTimeout<infer At, infer N, infer Body, infer F> ?
      | (At extends R ? DecidesTimeout<N> : never)
      | (R extends At | RolesIn<Body> | RolesIn<F> ? InTimeout<N> : never)
      | Actions<Body, R>
      | Actions<F, R>
  : S extends GSaga<infer O, infer N, infer F, infer C> ?
      | (R extends O | RolesIn<F> | RolesIn<C> ? InSaga<N> : never)
      | Actions<F, R>
      | Actions<C, R>
  : S extends GEach<infer F, boolean, infer Body> ? R extends F ? Actions<Body, R> : ToMembers<Actions<Body, R>, F>
  : S extends GExchange<infer F, infer L> ? F extends R ? SendsLabel<L, Member<F>> | ReceivesLabel<L, Member<F>> : never
  : never

/**
 * The name of a member of family `F` at run time, as a handler's context gives it: `Bidder[2]`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 * import type { Member } from "quadrille"
 *
 * const Poll = Protocol.make("Poll", { roles: ["Host"], families: ["Voter"], messages: { Ask: Schema.String, Vote: Schema.Boolean } }, (g) =>
 *   g.broadcast("Host", "Voter", "Ask").gather("Voter", "Host", "Vote"))
 *
 * // The Host's handlers are called once per voter; `peer` says which.
 * const host = Role.implement(Poll, "Host", {
 *   send: { Ask: () => "tea?" },
 *   recv: { Vote: (yes: ReadonlyArray<Member<"Voter">>, vote, { peer }) => vote ? [...yes, peer] : yes }
 * }, [] as ReadonlyArray<Member<"Voter">>)
 * const voter = Role.implement(Poll, "Voter", { recv: { Ask: (_, _question, { member }) => member ?? -1 }, send: { Vote: (m) => m !== 1 } }, -1)
 * const results = await Effect.runPromise(Session.run(Poll, { Host: host, Voter: voter }, { params: { Voter: 3 } }))
 * assert.deepStrictEqual(results.Host, ["Voter[0]", "Voter[2]"])
 * ```
 *
 * @since 0.1.0
 */
export type Member<F extends string> = `${F}[${number}]`

/** Actions with family `F` as their peer given the members' names instead (what a context's `peer` holds). */
type ToMembers<A, F extends string> = A extends SendsLabel<infer L, infer T> ? SendsLabel<L, T extends F ? Member<F> : T>
  : A extends ReceivesLabel<infer L, infer From> ? ReceivesLabel<L, From extends F ? Member<F> : From>
  : A

type ActionsOfBranches<B, R extends string> = B extends GBranch<string, infer Seq> ? Actions<Seq, R> : never

type SendLabels<A> = A extends SendsLabel<infer L extends string, unknown> ? L : never
type RecvLabels<A> = A extends ReceivesLabel<infer L extends string, unknown> ? L : never
/** The roles `L` is sent to (several when the role sends it to several peers). */
type SentTo<A, L> = A extends SendsLabel<L, infer T extends string> ? T : never
type ReceivedFrom<A, L> = A extends ReceivesLabel<L, infer F extends string> ? F : never
type Choices<A> = A extends MakesChoice<infer N extends string, unknown> ? N : never
type BranchesOf<A, N> = A extends MakesChoice<N, infer B> ? B : never
type TimeoutsDecided<A> = A extends DecidesTimeout<infer N extends string> ? N : never
type Timeouts<A> = A extends InTimeout<infer N extends string> ? N : never
type Sagas<A> = A extends InSaga<infer N extends string> ? N : never

type SendHandlers<A, M, S> = [SendLabels<A>] extends [never] ? { readonly send?: {} }
  : {
    readonly send: {
      readonly [L in SendLabels<A>]: (
        state: S,
        context: StepContext<SentTo<A, L>, L>
      ) => Answer<PayloadOf<M, L> | WithState<PayloadOf<M, L>, S>>
    }
  }

type ChooseHandlers<A, S> = [Choices<A>] extends [never] ? { readonly choose?: {} }
  : {
    readonly choose: {
      readonly [N in Choices<A>]: (state: S, context: StepContext<never, N>) => Answer<BranchesOf<A, N> | WithState<BranchesOf<A, N>, S>>
    }
  }

/**
 * `onTimeout[name](state)`: the state to go on with when timeout `name` runs out. Required
 * for the timeouts the role decides; optional for the others it takes part in (called when it
 * is switched to the fallback).
 */
type TimeoutHandlers<A, S> = [TimeoutsDecided<A>] extends [never]
  ? { readonly onTimeout?: { readonly [N in Timeouts<A>]?: (state: S, context: StepContext<never, N>) => Answer<S> } }
  : {
    readonly onTimeout:
      & { readonly [N in TimeoutsDecided<A>]: (state: S, context: StepContext<never, N>) => Answer<S> }
      & { readonly [N in Exclude<Timeouts<A>, TimeoutsDecided<A>>]?: (state: S, context: StepContext<never, N>) => Answer<S> }
  }

/**
 * `onCompensate[name](state)`: the state to begin the compensation of saga `name` with (the
 * state as the forward part left it). Optional, for every saga the role is in.
 */
type CompensateHandlers<A, S> = {
  readonly onCompensate?: { readonly [N in Sagas<A>]?: (state: S, context: StepContext<never, N>) => Answer<S> }
}

type RecvHandlers<A, M, S> = {
  readonly recv?: {
    readonly [L in RecvLabels<A>]?: (state: S, payload: PayloadOf<M, L>, context: StepContext<ReceivedFrom<A, L>, L>) => Answer<S>
  }
}

/**
 * The handlers of role `R` in global type `G` with catalogue `M` and state `S`.
 *
 * @category handlers
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
 * // `Role.implement` takes exactly the handlers of A: a send of Ping, a receive of Pong.
 * Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * // @ts-expect-error A never receives Ping
 * Role.implement(PingPong, "A", { send: { Ping: () => 1 }, recv: { Ping: (_, n) => n } }, 0)
 * ```
 *
 * @since 0.1.0
 */
export type HandlersFor<G, R extends string, M, S> = unknown extends G ? Handlers<M, S>
  : Actions<G, R> extends infer A
    ? SendHandlers<A, M, S> & RecvHandlers<A, M, S> & ChooseHandlers<A, S> & TimeoutHandlers<A, S> & CompensateHandlers<A, S>
  : never

/**
 * The payload type of `label` in catalogue `M`.
 *
 * @category handlers
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import type { Role } from "quadrille"
 *
 * const messages = { Order: Schema.Struct({ item: Schema.String, quantity: Schema.Number }) }
 * const order: Role.PayloadOf<typeof messages, "Order"> = { item: "tea", quantity: 2 }
 * assert.strictEqual(order.quantity, 2)
 * ```
 *
 * @since 0.1.0
 */
export type PayloadOf<M, L> = M extends Catalogue ? L extends keyof M ? Schema.Schema.Type<M[L]> : never : never

/**
 * Handlers with user state `S` for any labels of catalogue `M`: `send[Label](state)` produces
 * the payload to send, `recv[Label](state, payload)` folds a received payload into the state
 * (the state is kept when a label has no handler), and `choose[choice](state)` names the
 * branch to take; `onTimeout[timeout](state)` gives the state to go on with when a timeout
 * runs out, and `onCompensate[saga](state)` the state to begin a saga's compensation with. What `Role.implement` takes for a protocol whose global type is not known
 * statically (`Protocol.Any`); otherwise `HandlersFor` is exact.
 *
 * @category handlers
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import type { Role } from "quadrille"
 *
 * const messages = { Ping: Schema.Number, Pong: Schema.Number }
 * // Handlers for any protocol with this catalogue, with a number as state.
 * const handlers: Role.Handlers<typeof messages, number> = {
 *   send: { Ping: (count) => count },
 *   recv: { Pong: (count, payload) => count + payload }
 * }
 * assert.strictEqual(handlers.recv?.Pong?.(1, 2, { session: "s", role: "A", member: undefined, peer: "B", label: "Pong", site: "1", rounds: {} }), 3)
 * ```
 *
 * @since 0.1.0
 */
export type Handlers<M, S> = {
  readonly send?: {
    readonly [L in keyof M & string]?: (state: S, context: StepContext<string, L>) => Answer<PayloadOf<M, L> | WithState<PayloadOf<M, L>, S>>
  }
  readonly recv?: {
    readonly [L in keyof M & string]?: (state: S, payload: PayloadOf<M, L>, context: StepContext<string, L>) => Answer<S>
  }
  readonly choose?: { readonly [choice: string]: (state: S, context: StepContext<never>) => Answer<string | WithState<string, S>> }
  readonly onTimeout?: { readonly [name: string]: (state: S, context: StepContext<never>) => Answer<S> }
  readonly onCompensate?: { readonly [name: string]: (state: S, context: StepContext<never>) => Answer<S> }
}

/** Handlers for a label the role never uses, or a choice it never makes. */
type Extra<Given, Allowed, What extends string> = {
  readonly [K in Exclude<keyof Given, Allowed>]: `${K & string} is not ${What}`
}

/**
 * Rejects keys that `HandlersFor` does not know: a handler for a label the role never sends
 * or receives, for a choice it never makes, or for a timeout or a saga it takes no part in.
 *
 * @category handlers
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
 * // @ts-expect-error "Pang is not a label A sends"
 * Role.implement(PingPong, "A", { send: { Ping: () => 1, Pang: () => 2 }, recv: { Pong: (_, n) => n } }, 0)
 * ```
 *
 * @since 0.1.0
 */
export type NoExtraHandlers<H, G, R extends string> = unknown extends G ? unknown : Actions<G, R> extends infer A ?
    & Extra<
      H,
      "send" | "recv" | "choose" | "onTimeout" | "onCompensate",
      "a kind of handler: use send, recv or choose, or onTimeout or onCompensate"
    >
    & (H extends { readonly send: infer X } ? { readonly send: Extra<X, SendLabels<A>, `a label ${R} sends`> } : unknown)
    & (H extends { readonly recv: infer X } ? { readonly recv: Extra<X, RecvLabels<A>, `a label ${R} receives`> } : unknown)
    & (H extends { readonly choose: infer X } ? { readonly choose: Extra<X, Choices<A>, `a choice ${R} makes`> } : unknown)
    & (H extends { readonly onTimeout: infer X }
      ? { readonly onTimeout: Extra<X, Timeouts<A>, `a timeout ${R} takes part in`> }
      : unknown)
    & (H extends { readonly onCompensate: infer X }
      ? { readonly onCompensate: Extra<X, Sagas<A>, `a saga ${R} takes part in`> }
      : unknown)
  : never
