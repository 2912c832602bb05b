/**
 * Typed, linear endpoints. `Endpoint<L>` is the channel of a role whose local type is `L`:
 * only the operation `L` allows is callable, and it returns the endpoint of the
 * continuation. Any other operation's `this` type is a sentence naming what the protocol
 * expects, so a misuse reads as such in the compiler's message.
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import type { RoleError } from "../effects/errors.js"
import type { Branch, End, Offer, Par, ProjectionFailure, Rec, Recv, Rounds, Saga, Select, Send, Timeout, Var } from "./Local.js"

/** @category symbols */
export declare const DoneTypeId: unique symbol

/**
 * What `close()` on an `End` endpoint produces, and what a role program must return: a
 * program cannot produce it without walking its local type to the end.
 *
 * @category endpoints
 */
export interface Done<out A = void> {
  readonly [DoneTypeId]: A
}

/**
 * The `this` type of an operation the protocol does not allow here: calling it fails to
 * compile with "The 'this' context of type ... is not assignable to method's 'this' of type
 * 'the protocol expects ...'".
 *
 * @category endpoints
 */
export type Expects<What extends string> = `the protocol expects ${What} here`

type UnionToIntersection<U> = (U extends unknown ? (k: U) => void : never) extends (k: infer I) => void ? I : never
type LastOf<U> = UnionToIntersection<U extends unknown ? () => U : never> extends () => infer L ? L : never

/** The members of a union of strings, joined by ` | ` (for error sentences). */
export type Alternatives<U extends string, Acc extends string = ""> = [U] extends [never] ? Acc
  : LastOf<U> extends infer L extends string ? Alternatives<Exclude<U, L>, Acc extends "" ? L : `${L} | ${Acc}`>
  : Acc

/** The bindings of the `Rec`s enclosing a point of a local type, to unfold `Var`s. */
interface Bind<out Name extends string, out Body, out Env> {
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
  : never

/** The operations every endpoint has; the ones not allowed at a point take an `Expects` `this`. */
interface Disallowed<What extends string> {
  send(this: Expects<What>, ...args: ReadonlyArray<unknown>): never
  recv(this: Expects<What>, ...args: ReadonlyArray<unknown>): never
  select(this: Expects<What>, ...args: ReadonlyArray<unknown>): never
  offer(this: Expects<What>, ...args: ReadonlyArray<unknown>): never
  close(this: Expects<What>, ...args: ReadonlyArray<unknown>): never
  round(this: Expects<What>, ...args: ReadonlyArray<unknown>): never
  parallel(this: Expects<What>, ...args: ReadonlyArray<unknown>): never
  timeout(this: Expects<What>, ...args: ReadonlyArray<unknown>): never
  saga(this: Expects<What>, ...args: ReadonlyArray<unknown>): never
}

/** @category endpoints */
export interface SendEndpoint<To extends string, Label extends string, P, K, Env>
  extends Omit<Disallowed<`send ${Label} to ${To}`>, "send">
{
  /** Sends `label` with `payload` to `to`; returns the endpoint of what follows. */
  send(to: To, label: Label, payload: P): Effect.Effect<Endpoint<K, Env>, RoleError>
}

/** @category endpoints */
export interface RecvEndpoint<From extends string, Label extends string, P, K, Env>
  extends Omit<Disallowed<`recv ${Label} from ${From}`>, "recv">
{
  /** Waits for `label` from `from`; returns its payload and the endpoint of what follows. */
  recv(from: From, label: Label): Effect.Effect<readonly [P, Endpoint<K, Env>], RoleError>
}

/** @category endpoints */
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
 */
export interface Offered<out Label extends string, out P, out Next> {
  readonly label: Label
  readonly payload: P
  readonly next: Next
}

/** @category endpoints */
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
type DoneResult<E> = E extends Effect.Effect<infer D, unknown, unknown> ? D extends Done<infer A> ? A : never : never

/**
 * One outcome of `timeout()`: `"intime"` when the body ended before the deadline, with what
 * the body function closed with, or `"timeout"` when time ran out, with what the fallback
 * function closed with; `next` is the endpoint of what follows the timeout in both.
 *
 * @category endpoints
 */
export type TimeoutOutcome<Label extends "intime" | "timeout", A, Next> = PartOutcome<Label, A, Next>

/**
 * How a timeout or a saga ended for the role: which part ran to its end (`label`), what its
 * function closed with, and the endpoint of what follows.
 *
 * @category endpoints
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
 */
export interface TimeoutEndpoint<Name extends string, At extends string, Body, Fallback, K, Env>
  extends Omit<Disallowed<`timeout() '${Name}'`>, "timeout">
{
  timeout<
    const FB extends (endpoint: Endpoint<Body>) => Effect.Effect<Done<unknown>, unknown, unknown>,
    const FF extends (endpoint: Endpoint<Fallback>) => Effect.Effect<Done<unknown>, unknown, unknown>
  >(
    body: FB,
    fallback: FF
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
 */
export interface SagaEndpoint<Name extends string, Owner extends string, Forward, Compensate, K, Env>
  extends Omit<Disallowed<`saga() '${Name}'`>, "saga">
{
  saga<
    const FF extends (endpoint: Endpoint<Forward>) => Effect.Effect<Done<unknown>, unknown, unknown>,
    const FC extends (endpoint: Endpoint<Compensate>) => Effect.Effect<Done<unknown>, unknown, unknown>
  >(
    forward: FF,
    compensate: FC
  ): Effect.Effect<
    | SagaOutcome<"committed", DoneResult<ReturnType<FF>>, Endpoint<K, Env>>
    | SagaOutcome<"compensated", DoneResult<ReturnType<FC>>, Endpoint<K, Env>>,
    RoleError | Effect.Effect.Error<ReturnType<FC>>,
    Effect.Effect.Context<ReturnType<FF>> | Effect.Effect.Context<ReturnType<FC>>
  >
}

/** @category endpoints */
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
 */
export interface FailedEndpoint<Message extends string> extends Disallowed<`a well-formed protocol: ${Message}`> {}
