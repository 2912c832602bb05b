/**
 * Type-level projection: `Local<typeof P, "Role">` is the local session type of a role,
 * computed by the compiler with the same rules as the run-time projection
 * (`Protocol.project`): a role's state is the set of global positions it may be at; where it
 * does not know the branch of a choice, its next action must be the same in every branch,
 * or a receive from one sender whose label tells the branches apart; loops are unfolded
 * while looking for that receive.
 *
 * Every continuation is an interface type argument, which the compiler evaluates lazily:
 * a 1000-step protocol costs nothing until an endpoint walks it.
 *
 * @since 0.1.0
 */
import type * as Msg from "../protocol/messages.js"
import type { Schema } from "effect"
import type { Catalogue, IllFormed, Protocol } from "../protocol/Protocol.js"
import type {
  GBlock,
  GBranch,
  GChoice,
  GEach,
  GEnd,
  GExchange,
  GForever,
  GLoop,
  GMsg,
  GPar,
  GRecur,
  GRounds,
  GSaga,
  GTimeout,
  RolesIn,
  Then
} from "./Global.js"

// ---------------------------------------------------------------------------------------------
// Local session types

/**
 * Send `Label` with `Payload` to `To`, then continue as `Next`.
 *
 * @category local types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { Local, Recv, Send, End } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * const a: [Local<typeof PingPong, "A">] extends [Send<"B", "Ping", number, Recv<"B", "Pong", number, End>>] ? true : false = true
 * assert.strictEqual(a, true)
 * ```
 *
 * @since 0.1.0
 */
export interface Send<out To extends string, out Label extends string, out Payload, out Next> {
  readonly _tag: "Send"
  readonly to: To
  readonly label: Label
  readonly payload: Payload
  readonly next: Next
}

/**
 * Receive `Label` with `Payload` from `From`, then continue as `Next`.
 *
 * @category local types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { Local, Recv, Send, End } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * const b: [Local<typeof PingPong, "B">] extends [Recv<"A", "Ping", number, Send<"A", "Pong", number, End>>] ? true : false = true
 * assert.strictEqual(b, true)
 * ```
 *
 * @since 0.1.0
 */
export interface Recv<out From extends string, out Label extends string, out Payload, out Next> {
  readonly _tag: "Recv"
  readonly from: From
  readonly label: Label
  readonly payload: Payload
  readonly next: Next
}

/**
 * Choose one of `Branches` (branch name to continuation).
 *
 * @category local types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { Local, Select, Send, End } from "quadrille"
 *
 * // A chooses; B learns the branch from the label it receives.
 * const Vote = Protocol.make("Vote", {
 *   roles: ["A", "B"],
 *   messages: { Yes: Schema.Struct({}), No: Schema.Struct({}) }
 * }, (g) => g.choice("A", "answer", { yes: (b) => b.msg("A", "B", "Yes"), no: (b) => b.msg("A", "B", "No") }))
 *
 * const a: [Local<typeof Vote, "A">] extends [Select<{ yes: Send<"B", "Yes", {}, End>; no: Send<"B", "No", {}, End> }>] ? true : false = true
 * assert.strictEqual(a, true)
 * ```
 *
 * @since 0.1.0
 */
export interface Select<out Branches> {
  readonly _tag: "Select"
  readonly branches: Branches
}

/**
 * Receive from `From` one of several labels; the label says which branch was taken.
 * `Branches` maps each label to its payload and continuation.
 *
 * @category local types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { Local, Offer, Branch, End } from "quadrille"
 *
 * // A chooses; B learns the branch from the label it receives.
 * const Vote = Protocol.make("Vote", {
 *   roles: ["A", "B"],
 *   messages: { Yes: Schema.Struct({}), No: Schema.Struct({}) }
 * }, (g) => g.choice("A", "answer", { yes: (b) => b.msg("A", "B", "Yes"), no: (b) => b.msg("A", "B", "No") }))
 *
 * const b: [Local<typeof Vote, "B">] extends [Offer<"A", { Yes: Branch<{}, End>; No: Branch<{}, End> }>] ? true : false = true
 * assert.strictEqual(b, true)
 * ```
 *
 * @since 0.1.0
 */
export interface Offer<out From extends string, out Branches> {
  readonly _tag: "Offer"
  readonly from: From
  readonly branches: Branches
}

/**
 * One branch of an `Offer`: the payload of its label and what follows.
 *
 * @category local types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { Local, Offer, Branch, End } from "quadrille"
 *
 * // A chooses; B learns the branch from the label it receives.
 * const Vote = Protocol.make("Vote", {
 *   roles: ["A", "B"],
 *   messages: { Yes: Schema.Struct({}), No: Schema.Struct({}) }
 * }, (g) => g.choice("A", "answer", { yes: (b) => b.msg("A", "B", "Yes"), no: (b) => b.msg("A", "B", "No") }))
 *
 * // The branch of label Yes: its payload, then what follows.
 * type B = Local<typeof Vote, "B">
 * const yes: B extends Offer<"A", infer Bs extends { Yes: unknown }> ? [Bs["Yes"]] extends [Branch<{}, End>] ? true : false : false = true
 * assert.strictEqual(yes, true)
 * ```
 *
 * @since 0.1.0
 */
export interface Branch<out Payload, out Next> {
  readonly payload: Payload
  readonly next: Next
}

/**
 * The round check of a `repeat(Param, ...)`: `Again` while fewer rounds than the session
 * parameter `Param` are done, then `Done`. Every role decides it alike from the parameter.
 *
 * @category local types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { End, Local, Rec, Rounds, Send, Var } from "quadrille"
 *
 * // `rounds` ping rounds, a number every role is given when the session starts.
 * const Pings = Protocol.make("Pings", { roles: ["A", "B"], messages: { Ping: Schema.Number } }, (g) =>
 *   g.repeat("rounds", (r) => r.msg("A", "B", "Ping")))
 *
 * type A = Local<typeof Pings, "A">
 * const exact: [A] extends [Rec<"rounds", Rounds<"rounds", Send<"B", "Ping", number, Var<"rounds">>, End>>] ? true : false = true
 * assert.strictEqual(exact, true)
 * ```
 *
 * @since 0.1.0
 */
export interface Rounds<out Param extends string, out Again, out Done> {
  readonly _tag: "Rounds"
  readonly param: Param
  readonly again: Again
  readonly done: Done
}

/**
 * The role's own branches of a `parallel` (the ones it takes part in, in order), run
 * concurrently; `Next` follows when all of them have ended.
 *
 * @category local types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { End, Local, Par, Send } from "quadrille"
 *
 * // A sends to B and to C at once; each branch ends at the barrier.
 * const Fan = Protocol.make("Fan", { roles: ["A", "B", "C"], messages: { Job: Schema.Number } }, (g) =>
 *   g.parallel((b) => b.msg("A", "B", "Job"), (c) => c.msg("A", "C", "Job")))
 *
 * const a: [Local<typeof Fan, "A">] extends [Par<[Send<"B", "Job", number, End>, Send<"C", "Job", number, End>], End>] ? true : false = true
 * assert.strictEqual(a, true)
 * ```
 *
 * @since 0.1.0
 */
export interface Par<out Branches extends ReadonlyArray<unknown>, out Next> {
  readonly _tag: "Par"
  readonly branches: Branches
  readonly next: Next
}

/**
 * The role's part of timeout `Name`, which `At` decides: `Body` (its part of the body) runs
 * until it ends or until `At`'s time runs out, and in the second case `Fallback` (its part of
 * the fallback) runs; `Next` follows either way. A part the role has no action in is `End`.
 * (Exported from the package as `LocalTimeout`: there `Timeout` is the error.)
 *
 * @category local types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { End, Local, LocalTimeout, Recv, Send } from "quadrille"
 *
 * // A waits at most a second for B's Reply; then it sends a Cancel instead.
 * const Ask = Protocol.make("Ask", {
 *   roles: ["A", "B"],
 *   messages: { Question: Schema.String, Reply: Schema.String, Cancel: Schema.Struct({}) }
 * }, (g) =>
 *   g.msg("A", "B", "Question").timeout("A", "answer", "1 second", (b) => b.msg("B", "A", "Reply"), (f) => f.msg("A", "B", "Cancel")))
 *
 * type A = Local<typeof Ask, "A">
 * type Expected = Send<"B", "Question", string, LocalTimeout<"answer", "A", Recv<"B", "Reply", string, End>, Send<"B", "Cancel", {}, End>, End>>
 * const exact: [A] extends [Expected] ? true : false = true
 * assert.strictEqual(exact, true)
 * ```
 *
 * @since 0.1.0
 */
export interface Timeout<out Name extends string, out At extends string, out Body, out Fallback, out Next> {
  readonly _tag: "Timeout"
  readonly name: Name
  readonly at: At
  readonly body: Body
  readonly fallback: Fallback
  readonly next: Next
}

/**
 * The role's part of saga `Name`, which `Owner` decides: `Forward` (its part of the forward
 * part) runs, and when anything fails inside the saga, `Owner` switches the role to
 * `Compensate` (its part of the compensation); `Next` follows either way. A part the role has
 * no action in is `End`. Every role of the saga has this step (`Owner`, and the roles of
 * either part); the others skip it.
 *
 * @category local types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { End, Local, Recv, Saga, Send } from "quadrille"
 *
 * // When anything fails while A books, A tells B to release instead.
 * const Booking = Protocol.make("Booking", {
 *   roles: ["A", "B"],
 *   messages: { Book: Schema.String, Booked: Schema.Struct({}), Release: Schema.Struct({}) }
 * }, (g) =>
 *   g.saga("A", "booking", (f) => f.msg("A", "B", "Book").msg("B", "A", "Booked"), (c) => c.msg("A", "B", "Release")))
 *
 * type Expected = Saga<"booking", "A", Send<"B", "Book", string, Recv<"B", "Booked", {}, End>>, Send<"B", "Release", {}, End>, End>
 * const exact: [Local<typeof Booking, "A">] extends [Expected] ? true : false = true
 * assert.strictEqual(exact, true)
 * ```
 *
 * @since 0.1.0
 */
export interface Saga<out Name extends string, out Owner extends string, out Forward, out Compensate, out Next> {
  readonly _tag: "Saga"
  readonly name: Name
  readonly owner: Owner
  readonly forward: Forward
  readonly compensate: Compensate
  readonly next: Next
}

/**
 * A role's part of a `forEach` over family `Family` that it does not belong to: `Body` once
 * for each member, one after the other, or all at once when `Parallel`; `Next` follows when
 * every member's is done. In `Body` the family's name is the member's peer. (A member's own
 * part is inlined in its local type: its body once, in a `Par` of one branch when `Parallel`.)
 * Run it with `Role.implement`: its handlers are called once per member, the member's name
 * (`Bidder[i]`) in their context's `peer`.
 *
 * @category local types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { Each, End, Local, Recv, Send } from "quadrille"
 *
 * const Auction = Protocol.make("Auction", {
 *   roles: ["Auctioneer"],
 *   families: ["Bidder"],
 *   messages: { Item: Schema.String, Bid: Schema.Number }
 * }, (g) => g.forEach("Bidder", (b, m) => b.msg("Auctioneer", m, "Item").msg(m, "Auctioneer", "Bid")))
 *
 * type Auctioneer = Local<typeof Auction, "Auctioneer">
 * const each: [Auctioneer] extends [Each<"Bidder", false, Send<"Bidder", "Item", string, Recv<"Bidder", "Bid", number, End>>, End>] ? true : false = true
 * assert.strictEqual(each, true)
 * ```
 *
 * @since 0.1.0
 */
export interface Each<out Family extends string, out Parallel extends boolean, out Body, out Next> {
  readonly _tag: "Each"
  readonly family: Family
  readonly parallel: Parallel
  readonly body: Body
  readonly next: Next
}

/**
 * A member's part of `exchange(Family, Label)`: send `Label` with `Payload` to every other
 * member of `Family` and receive it from each of them, all at once; then `Next`.
 *
 * @category local types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { End, Exchange, Local } from "quadrille"
 *
 * const Vote = Protocol.make("Vote", {
 *   roles: [],
 *   families: ["Node"],
 *   messages: { Proposal: Schema.Number }
 * }, (g) => g.exchange("Node", "Proposal"))
 *
 * type Node = Local<typeof Vote, "Node">
 * const exchange: [Node] extends [Exchange<"Node", "Proposal", number, End>] ? true : false = true
 * assert.strictEqual(exchange, true)
 * ```
 *
 * @since 0.1.0
 */
export interface Exchange<out Family extends string, out Label extends string, out Payload, out Next> {
  readonly _tag: "Exchange"
  readonly family: Family
  readonly label: Label
  readonly payload: Payload
  readonly next: Next
}

/**
 * A recursive local type; `Var<Name>` inside `Body` stands for the whole.
 *
 * @category local types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { End, Local, Offer, Branch, Rec, Var } from "quadrille"
 *
 * const Stream = Protocol.make("Stream", {
 *   roles: ["Producer", "Consumer"],
 *   messages: { Item: Schema.Number, Done: Schema.Struct({}) }
 * }, (g) =>
 *   g.loop("items", (l) =>
 *     l.choice("Producer", "more", {
 *       item: (b) => b.msg("Producer", "Consumer", "Item").recur("items"),
 *       done: (b) => b.msg("Producer", "Consumer", "Done").end()
 *     })))
 *
 * type Consumer = Local<typeof Stream, "Consumer">
 * const exact: [Consumer] extends [Rec<"items", Offer<"Producer", { Item: Branch<number, Var<"items">>; Done: Branch<{}, End> }>>] ? true : false = true
 * assert.strictEqual(exact, true)
 * ```
 *
 * @since 0.1.0
 */
export interface Rec<out Name extends string, out Body> {
  readonly _tag: "Rec"
  readonly name: Name
  readonly body: Body
}

/**
 * Go back to the enclosing `Rec<Name, ...>`.
 *
 * @category local types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { Local, Rec, Send, Var } from "quadrille"
 *
 * // A server's loop: round again for ever (`forever` needs no way out).
 * const Ticks = Protocol.make("Ticks", { roles: ["Clock", "Listener"], messages: { Tick: Schema.Number } }, (g) =>
 *   g.forever("ticks", (l) => l.msg("Clock", "Listener", "Tick").recur("ticks")))
 *
 * const clock: [Local<typeof Ticks, "Clock">] extends [Rec<"ticks", Send<"Listener", "Tick", number, Var<"ticks">>>] ? true : false = true
 * assert.strictEqual(clock, true)
 * ```
 *
 * @since 0.1.0
 */
export interface Var<out Name extends string> {
  readonly _tag: "Var"
  readonly name: Name
}

/**
 * The role is done.
 *
 * @category local types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { End, Local, Recv, Send } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * type AfterPong = Local<typeof PingPong, "A"> extends Send<string, string, unknown, Recv<string, string, unknown, infer K>> ? K : never
 * const ends: [AfterPong] extends [End] ? true : false = true
 * assert.strictEqual(ends, true)
 * ```
 *
 * @since 0.1.0
 */
export interface End {
  readonly _tag: "End"
}

/**
 * The protocol cannot be projected onto the role at this point; `Message` says why, in the
 * same words as the run-time `ProjectionError`.
 *
 * @category local types
 *
 * @example
 * ```ts
 * import { Either, Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { Local, ProjectionFailure } from "quadrille"
 *
 * // `makeEither` does not check at compile time; the local type says why B has none.
 * const Blind = Protocol.makeEither("Blind", {
 *   roles: ["A", "B", "C"],
 *   messages: { X: Schema.Number, Y: Schema.Number }
 * }, (g) =>
 *   g.choice("A", "pick", {
 *     left: (b) => b.msg("A", "C", "X"),
 *     right: (b) => b.msg("A", "C", "X").msg("B", "C", "Y")
 *   }))
 *
 * type B = Local<Either.Either.Right<typeof Blind>, "B">
 * const fails: B extends ProjectionFailure<string> ? true : false = true
 * assert.strictEqual(fails && Either.isLeft(Blind), true)
 * ```
 *
 * @since 0.1.0
 */
export interface ProjectionFailure<out Message extends string> {
  readonly _tag: "ProjectionFailure"
  readonly "~error": Message
}

// ---------------------------------------------------------------------------------------------
// Global positions

/** A forward list of global steps. */
interface FNil {
  readonly _tag: "FNil"
}
interface FCons<out Head, out Tail> {
  readonly head: Head
  readonly tail: Tail
}

/** Turns the builder's newest-first sequence into a forward list (tail-recursive). */
type Fwd<G, Acc = FNil> = G extends Then<infer Init, infer Last> ? Fwd<Init, FCons<Last, Acc>> : Acc

/** A point in the global protocol: the steps left in this sequence, where to go after them, and the enclosing loops. */
interface Pos<out Rest, out K, out Loops> {
  readonly rest: Rest
  readonly k: K
  readonly loops: Loops
}

/** The top of the protocol: after the last step comes the end. */
interface Top {
  readonly _tag: "Top"
}

/**
 * An enclosing loop: its body, where to go when the body ends, the loops enclosing it, and
 * whether it is declared `forever` (`boolean`: either).
 */
interface LoopEntry<out Name extends string, out Body, out K, out Outer, out Forever extends boolean = boolean> {
  readonly name: Name
  readonly body: Body
  readonly k: K
  readonly outer: Outer
  readonly forever: Forever
}

/** The branch of another role's choice a path went through: [choice, chooser, branch]. */
type Via = readonly [string, string, string] | "none"

// The places where a role acts next. `Here` is the position of the action itself; `Passed`
// the loops entered or gone round on the way there.
interface ESend<out To, out Label, out Here, out Next, out V, out Passed> {
  readonly kind: "send"
  readonly to: To
  readonly label: Label
  readonly here: Here
  readonly next: Next
  readonly via: V
  readonly passed: Passed
}
interface ERecv<out From, out Label, out Here, out Next, out V, out Passed> {
  readonly kind: "recv"
  readonly from: From
  readonly label: Label
  readonly here: Here
  readonly next: Next
  readonly via: V
  readonly passed: Passed
}
interface ESelect<out Name, out Branches, out Here, out After, out Loops, out V, out Passed> {
  readonly kind: "select"
  readonly name: Name
  readonly branches: Branches
  readonly here: Here
  readonly after: After
  readonly loops: Loops
  readonly via: V
  readonly passed: Passed
}
interface ERounds<out Param, out Again, out Here, out After, out Loops, out V, out Passed> {
  readonly kind: "rounds"
  readonly param: Param
  readonly again: Again
  readonly here: Here
  readonly after: After
  readonly loops: Loops
  readonly via: V
  readonly passed: Passed
}
interface EPar<out Branches, out Here, out After, out Loops, out V, out Passed> {
  readonly kind: "par"
  readonly branches: Branches
  readonly here: Here
  readonly after: After
  readonly loops: Loops
  readonly via: V
  readonly passed: Passed
}
interface ETimeout<out Name, out At, out Body, out Fallback, out Here, out After, out V, out Passed> {
  readonly kind: "timeout"
  readonly name: Name
  readonly at: At
  readonly body: Body
  readonly fallback: Fallback
  readonly here: Here
  readonly after: After
  readonly via: V
  readonly passed: Passed
}
interface ESaga<out Name, out Owner, out Forward, out Compensate, out Here, out After, out V, out Passed> {
  readonly kind: "saga"
  readonly name: Name
  readonly owner: Owner
  readonly forward: Forward
  readonly compensate: Compensate
  readonly here: Here
  readonly after: After
  readonly via: V
  readonly passed: Passed
}
/**
 * A step that cannot be projected, with the message of the failure. For a step the builder's
 * own parameter types reject (a choice with no branches, a recur outside its loop, a message
 * whose role or label did not type-check, which leaves a union there), the call is a compile
 * error already, and the message is not a literal: `Protocol.make` does not report it a
 * second time.
 */
interface EBroken<out Message extends string> {
  readonly kind: "broken"
  readonly message: Message
  readonly here: "broken"
  readonly via: "none"
  readonly passed: never
}

/**
 * A path cut where it goes round loop `Name` again, already gone round on this walk;
 * `Forever` when that loop is declared `forever`.
 */
interface ERound<out Name extends string, out Forever extends boolean = boolean> {
  readonly kind: "round"
  readonly loop: Name
  readonly forever: Forever
  readonly here: "round"
  readonly via: "none"
  readonly passed: never
}

interface EEach<out Family, out Parallel, out Body, out Here, out After, out V, out Passed> {
  readonly kind: "each"
  readonly family: Family
  readonly parallel: Parallel
  readonly body: Body
  readonly here: Here
  readonly after: After
  readonly via: V
  readonly passed: Passed
}
interface EExchange<out Family, out Label, out Here, out After, out V, out Passed> {
  readonly kind: "exchange"
  readonly family: Family
  readonly label: Label
  readonly here: Here
  readonly after: After
  readonly via: V
  readonly passed: Passed
}

interface EEnd<out V, out Passed> {
  readonly kind: "end"
  readonly here: "end"
  readonly via: V
  readonly passed: Passed
}

/** The actions of role `R` reachable from positions `P` through steps it takes no part in. */
type Closure<P, R extends string, Visited, V extends Via, Passed> = P extends Pos<infer Rest, infer K, infer Loops>
  ? Rest extends FCons<infer S, infer Tail> ? StepAt<S, Pos<Tail, K, Loops>, P, Loops, R, Visited, V, Passed>
  : K extends Pos<unknown, unknown, unknown> ? Closure<K, R, Visited, V, Passed>
  : EEnd<V, Passed>
  : never

type StepAt<S, Next, Here, Loops, R extends string, Visited, V extends Via, Passed> = S extends
  GMsg<infer F, infer T, infer L> ? true extends IsUnion<F> | IsUnion<T> | IsUnion<L> ? EBroken<`${R}: ${string}`> // a call the builder rejected
  : F extends R ? ESend<T, L, Here, Next, V, Passed>
  : T extends R ? ERecv<F, L, Here, Next, V, Passed>
  : Closure<Next, R, Visited, V, Passed>
  : S extends GChoice<infer At, infer N, infer B> ? [B] extends [never] ? EBroken<`${R}: ${string}`>
    : At extends R ? ESelect<N, B, Here, Next, Loops, V, Passed>
    : ClosureOfBranches<B, N, At, Next, Loops, R, Visited, Passed>
  : S extends GBlock<string, infer Body> ? Closure<Pos<Fwd<Body>, Next, Loops>, R, Visited, V, Passed>
  : S extends GPar<infer B>
    ? R extends ParRoles<B> ? EPar<B, Here, Next, Loops, V, Passed> : Closure<Next, R, Visited, V, Passed>
  : S extends GRounds<infer N, infer Again>
    ? R extends RolesIn<Again> ? ERounds<N, Again, Here, Next, Loops, V, Passed> : Closure<Next, R, Visited, V, Passed>
  : S extends GForever<infer N, infer Body> ? EnterLoop<LoopEntry<N, Body, Next, Loops, true>, R, Visited, V, Passed | N>
  : S extends GLoop<infer N, infer Body> ? EnterLoop<LoopEntry<N, Body, Next, Loops, false>, R, Visited, V, Passed | N>
  : S extends GRecur<infer N> ? Recur<Extract<Loops, LoopEntry<N, unknown, unknown, unknown>>, N, R, Visited, V, Passed>
  : S extends GEnd ? EEnd<V, Passed>
  : S extends GTimeout<infer At, infer N, infer B, infer F>
    ? R extends At | RolesIn<B> | RolesIn<F> ? ETimeout<N, At, B, F, Here, Next, V, Passed>
    : Closure<Next, R, Visited, V, Passed>
  : S extends GSaga<infer O, infer N, infer F, infer C>
    ? R extends O | RolesIn<F> | RolesIn<C> ? ESaga<N, O, F, C, Here, Next, V, Passed>
    : Closure<Next, R, Visited, V, Passed>
  // A member's part of a forEach over its family is its body once (in a parallel of one branch
  // when the forEach is parallel, as the expansion makes it); another role's is an `Each`.
  : S extends GEach<infer F, infer Par, infer Body>
    ? R extends F ? Par extends true ? EPar<[Body], Here, Next, Loops, V, Passed> : Closure<Pos<Fwd<Body>, Next, Loops>, R, Visited, V, Passed>
    : R extends RolesIn<Body> ? EEach<F, Par, Body, Here, Next, V, Passed>
    : Closure<Next, R, Visited, V, Passed>
  : S extends GExchange<infer F, infer L> ? R extends F ? EExchange<F, L, Here, Next, V, Passed> : Closure<Next, R, Visited, V, Passed>
  : never

/** The actions of `R` in every branch of another role's choice (distributes over the branches). */
type ClosureOfBranches<B, N extends string, At extends string, Next, Loops, R extends string, Visited, Passed> = B extends
  GBranch<infer Br, infer Seq> ? Closure<Pos<Fwd<Seq>, Next, Loops>, R, Visited, readonly [N, At, Br], Passed>
  : never

/** The sequence of branch `Br` of a union of `GBranch`es. */
type SeqOf<B, Br> = B extends GBranch<Br & string, infer Seq> ? Seq : never

type ParRoles<B> = { [K in keyof B]: RolesIn<B[K]> }[number & keyof B]

/** The local types of the branches of a parallel that role `R` takes part in, in order. */
type InvolvedBranches<B, R extends string, M, Acc extends ReadonlyArray<unknown> = []> = B extends
  readonly [infer H, ...infer T]
  ? InvolvedBranches<T, R, M, R extends RolesIn<H> ? [...Acc, Project<Start<Pos<Fwd<H>, Top, never>, "none">, R, M, never>] : Acc>
  : Acc

/**
 * The local type of role `R` in one part of a timeout or a saga (a sequence that ends by
 * itself): `End` if it has no part in it.
 */
type PartOf<Seq, R extends string, M> = R extends RolesIn<Seq> ? Project<Start<Pos<Fwd<Seq>, Top, never>, "none">, R, M, never>
  : End

type Recur<E, N extends string, R extends string, Visited, V extends Via, Passed> = [E] extends [never] ? EBroken<`${R}: ${string}`>
  : [E] extends [Visited] ? ERound<N, E extends LoopEntry<string, unknown, unknown, unknown, infer F> ? F : boolean>
  : EnterLoop<E, R, Visited, V, Passed | N>

type EnterLoop<E, R extends string, Visited, V extends Via, Passed> = E extends
  LoopEntry<string, infer Body, infer K, infer Outer> ? Closure<Pos<Fwd<Body>, K, Outer | E>, R, Visited | E, V, Passed>
  : never

// ---------------------------------------------------------------------------------------------
// Projection

/** A state of the role that was reached through a loop: a target for `Var`. */
interface Head<out Name, out Key> {
  readonly name: Name
  readonly key: Key
}

type Same<A, B> = [A] extends [B] ? [B] extends [A] ? true : false : false
type IsUnion<T, U = T> = T extends unknown ? ([U] extends [T] ? false : true) : never

type FindHead<Heads, Key> = Heads extends Head<infer N, infer K> ? Same<K, Key> extends true ? readonly [N] : never
  : never

type HereOf<E> = E extends { readonly here: infer H } ? H : never
/** The loops a transition entered or went round that enclose where the role acts next: they name its `Rec`. */
type PassedOf<E> = E extends { readonly passed: infer P; readonly here: Pos<unknown, unknown, infer Loops> }
  ? Extract<P, Loops extends LoopEntry<infer N, unknown, unknown, unknown> ? N : never>
  : never

/** The payload type of a label, from the catalogue (not stored in the global type: see `GMsg`). */
type PayloadOf<M, L> = M extends Catalogue ? L extends keyof M ? Schema.Schema.Type<M[L]> : never : never

/** Where a transition leads: a position, and the branch the path to it went through. */
interface Start<out P, out V> {
  readonly pos: P
  readonly via: V
}

type Closures<Starts, R extends string> = Starts extends Start<infer P, infer V extends Via>
  ? Closure<P, R, never, V, never>
  : never

/**
 * The successors of some actions, each with the branch its path went through. When they are
 * one global step (paths of several branches met at it), the branches no longer matter: a
 * conflict further on needs paths that part again, at a later choice, which names its own
 * branches. Forgetting them there keeps one projection of what follows, not one per branch.
 */
type NextOf<E> = IsUnion<HereOf<E>> extends true ? E extends { readonly next: infer N; readonly via: infer V } ? Start<N, V> : never
  : E extends { readonly next: infer N } ? Start<N, "none"> : never

/**
 * The local type of role `R` from `Starts`. `Merged` names the message when the transition
 * merged the same message of several branches (for the error that follows, if any).
 */
type Project<Starts, R extends string, M, Heads, Merged extends string = never> = Live<
  Closures<Starts, R>,
  R,
  M,
  Heads,
  Merged
>

/**
 * The actions `All` less the paths cut where they go round a loop again; when every path is,
 * the loop has no way out, unless every one of them goes round a `forever` loop: then the
 * role has nothing more to do (it takes no part in the rest of the loop), and is done.
 */
type Live<All, R extends string, M, Heads, Merged extends string> = [Exclude<All, ERound<string>>] extends [never]
  ? [All] extends [never] ? Node<never, R, M, Heads, Merged>
  : [Exclude<All, ERound<string, true>>] extends [never] ? End
  : ProjectionFailure<Msg.LoopWithoutExit<LastOf<All extends ERound<infer N, false> ? N : never> & string>>
  : ProjectE<Exclude<All, ERound<string>>, R, M, Heads, Merged>

type ProjectE<E, R extends string, M, Heads, Merged extends string> = [PassedOf<E>] extends [never]
  ? Node<E, R, M, Heads, Merged>
  : FindHead<Heads, HereOf<E>> extends infer Found ? [Found] extends [never]
      ? PassedOf<E> extends infer N extends string ? Rec<N, Node<E, R, M, Heads | Head<N, HereOf<E>>, Merged>> : never
    : Found extends readonly [infer N extends string] ? Var<N>
    : never
  : never

/** `Merged` for the successors of the receives `E` of one label: set when they are several. */
type MergedBy<E, From extends string, L extends string> = IsUnion<HereOf<E>> extends true ? `${L} from ${From}` : never

type Node<E, R extends string, M, Heads, Merged extends string> = [E] extends [never]
  ? ProjectionFailure<`role ${R} is stuck in a loop: every path it can take goes round again. Add a branch that leaves the loop`>
  : [Extract<E, EBroken<string>>] extends [never] ? NodeOf<E, R, M, Heads, Merged>
  : ProjectionFailure<Extract<E, EBroken<string>>["message"]>

type NodeOf<E, R extends string, M, Heads, Merged extends string> = [E] extends [never] ? never
  : [E] extends [EEnd<Via, unknown>] ? End
  : [E] extends [EPar<infer B, unknown, infer After, unknown, unknown, unknown>]
    ? IsUnion<HereOf<E>> extends false ? Par<InvolvedBranches<B, R, M>, Project<Start<After, "none">, R, M, Heads>>
    : Conflict<E, R, Merged>
  : [E] extends [ERounds<infer N extends string, infer Again, unknown, infer After, infer Loops, unknown, unknown>]
    ? IsUnion<HereOf<E>> extends false ? Rounds<
        N,
        Project<Start<Pos<Fwd<Again>, After, Loops>, "none">, R, M, Heads>,
        Project<Start<After, "none">, R, M, Heads>
      >
    : Conflict<E, R, Merged>
  : [E] extends [ESelect<infer N extends string, infer B, unknown, infer After, infer Loops, unknown, unknown>]
    ? IsUnion<HereOf<E>> extends false
      ? Select<
        {
          readonly [Br in B extends GBranch<infer L, unknown> ? L : never]: Project<
            Start<Pos<Fwd<SeqOf<B, Br>>, After, Loops>, "none">,
            R,
            M,
            Heads
          >
        }
      >
    : Conflict<E, R, Merged>
  : [E] extends [ESend<infer T extends string, infer L extends string, unknown, unknown, Via, unknown>]
    ? [IsUnion<T>, IsUnion<L>] extends [false, false] ? Send<T, L, PayloadOf<M, L>, Project<NextOf<E>, R, M, Heads>>
    : Conflict<E, R, Merged>
  : [E] extends [ERecv<infer F extends string, infer L extends string, unknown, unknown, Via, unknown>]
    ? IsUnion<F> extends true ? Conflict<E, R, Merged>
    : IsUnion<L> extends false ? Recv<F, L, PayloadOf<M, L>, Project<NextOf<E>, R, M, Heads, MergedBy<E, F, L>>>
    : Offer<
      F,
      {
        readonly [X in L]: Branch<
          PayloadOf<M, X>,
          Project<NextOf<Extract<E, { readonly label: X }>>, R, M, Heads, MergedBy<Extract<E, { readonly label: X }>, F, X>>
        >
      }
    >
  : [E] extends [ETimeout<infer N extends string, infer At extends string, infer B, infer F, unknown, infer After, unknown, unknown>]
    ? IsUnion<HereOf<E>> extends false
      ? Timeout<N, At, PartOf<B, R, M>, PartOf<F, R, M>, Project<Start<After, "none">, R, M, Heads>>
    : Conflict<E, R, Merged>
  : [E] extends [ESaga<infer N extends string, infer O extends string, infer F, infer C, unknown, infer After, unknown, unknown>]
    ? IsUnion<HereOf<E>> extends false
      ? Saga<N, O, PartOf<F, R, M>, PartOf<C, R, M>, Project<Start<After, "none">, R, M, Heads>>
    : Conflict<E, R, Merged>
  : [E] extends [EEach<infer F extends string, infer Par extends boolean, infer B, unknown, infer After, unknown, unknown>]
    ? IsUnion<HereOf<E>> extends false ? Each<F, Par, PartOf<B, R, M>, Project<Start<After, "none">, R, M, Heads>>
    : Conflict<E, R, Merged>
  : [E] extends [EExchange<infer F extends string, infer L extends string, unknown, infer After, unknown, unknown>]
    ? IsUnion<HereOf<E>> extends false ? Exchange<F, L, PayloadOf<M, L>, Project<Start<After, "none">, R, M, Heads>>
    : Conflict<E, R, Merged>
  : Conflict<E, R, Merged>

type UnionToIntersection<U> = (U extends unknown ? (k: U) => void : never) extends (k: infer I) => void ? I : never
type LastOf<U> = UnionToIntersection<U extends unknown ? () => U : never> extends () => infer L ? L : never
type ViaOf<E> = E extends { readonly via: infer V } ? V : never

/** The advice of a knowledge-of-choice error, chosen by the same rules as at run time. */
type Advice<E, R extends string, Merged extends string, At extends string> = [Merged] extends [never]
  ? [Extract<E, { readonly kind: "select" }>] extends [never]
    ? [Extract<E, { readonly kind: "recv" }>] extends [never] ? Msg.AdviceAmbiguous<R, At> : Msg.AdviceUnmergeable<R>
  : Msg.AdviceChooser<R>
  : Msg.AdviceDuplicate<R, Merged>

/** Names the choice whose branches the role cannot tell apart, from the paths of two of its actions. */
type Conflict<E, R extends string, Merged extends string> = Exclude<ViaOf<E>, "none"> extends infer Vs
  ? LastOf<Vs> extends readonly [infer N extends string, infer At extends string, infer A extends string]
    ? LastOf<Extract<Exclude<Vs, LastOf<Vs>>, readonly [N, At, string]>> extends
      readonly [string, string, infer B extends string]
      ? ProjectionFailure<`${Msg.CannotTell<R, B, A, N, At>}: ${Advice<E, R, Merged, At>}`>
    : ProjectionFailure<`${Msg.CannotTellPaths<R>}: ${Advice<E, R, Merged, "a role that knows the branch">}`>
  : ProjectionFailure<`${Msg.CannotTellPaths<R>}: ${Advice<E, R, Merged, "a role that knows the branch">}`>
  : never

/**
 * The local session type of role `R` of protocol `P`.
 *
 * @category projection
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { Local, Recv, Send, End } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * type B = Local<typeof PingPong, "B">
 * const exact: [B] extends [Recv<"A", "Ping", number, Send<"A", "Pong", number, End>>] ? true : false = true
 * assert.strictEqual(exact, true)
 * ```
 *
 * @since 0.1.0
 */
export type Local<P, R extends string> = P extends IllFormed<string, infer Inner> ? Local<Inner, R>
  : P extends Protocol<string, infer Roles, infer M, infer G, string>
    ? R extends Roles ? Project<Start<Pos<Fwd<G>, Top, never>, "none">, R, M, never>
    : ProjectionFailure<`role ${R} is not a role of this protocol`>
  : never

// ---------------------------------------------------------------------------------------------
// Well-formedness at the definition

/** The local types that follow `L` (one step on every path); `Var` and `End` have none. */
type Children<L> = L extends { readonly _tag: "Send" | "Recv"; readonly next: unknown } ? L["next"]
  : L extends { readonly _tag: "Offer"; readonly branches: unknown } ? BranchNexts<L["branches"]>
  : L extends { readonly _tag: "Select"; readonly branches: unknown } ? L["branches"][keyof L["branches"]]
  : L extends { readonly _tag: "Rec"; readonly body: unknown } ? L["body"]
  : L extends { readonly _tag: "Rounds"; readonly again: unknown; readonly done: unknown } ? L["again"] | L["done"]
  : L extends { readonly _tag: "Par"; readonly branches: ReadonlyArray<unknown>; readonly next: unknown } ? L["branches"][number] | L["next"]
  : L extends { readonly _tag: "Timeout"; readonly body: unknown; readonly fallback: unknown; readonly next: unknown } ? L["body"] | L["fallback"] | L["next"]
  : L extends { readonly _tag: "Saga"; readonly forward: unknown; readonly compensate: unknown; readonly next: unknown } ? L["forward"] | L["compensate"] | L["next"]
  : L extends { readonly _tag: "Each"; readonly body: unknown; readonly next: unknown } ? L["body"] | L["next"]
  : L extends { readonly _tag: "Exchange"; readonly next: unknown } ? L["next"]
  : never
type BranchNexts<B> = { readonly [X in keyof B]: B[X] extends { readonly next: infer K } ? K : never }[keyof B]

type FailureIn<F> = F extends ProjectionFailure<infer Message> ? Message : never

/**
 * The message of the first `ProjectionFailure` anywhere in the local types of `Frontier`
 * (never when there is none): a walk by levels, four per round (the frontier is a union, so
 * paths that meet again are walked once), tail-recursive up to 1000 rounds.
 */
type FirstFailure<Frontier> = [Frontier] extends [never] ? never
  : [FailureIn<Frontier>] extends [never] ? Children<Frontier> extends infer F1
      ? [FailureIn<F1>] extends [never] ? Children<F1> extends infer F2
          ? [FailureIn<F2>] extends [never] ? Children<F2> extends infer F3
              ? [FailureIn<F3>] extends [never] ? FirstFailure<Children<F3>>
              : FailureIn<F3>
            : never
          : FailureIn<F2>
        : never
      : FailureIn<F1>
    : never
  : FailureIn<Frontier>

// Loops without a way out, found on the global type (a role that takes part in a loop cannot
// tell from its own projection that no path of the others leaves it). Both walks
// over-approximate the paths (a step after a choice whose branches all recur counts as
// reachable), so a loop they call closed is closed; one they miss is left to the run time.

/** `true` when some path through the steps of `Seq` reaches its end (newest-first list; tail-recursive). */
type Falls<Seq, Here> = Seq extends Then<infer Init, infer Last> ? StepFalls<Last, Here> extends true ? Falls<Init, Here> : false
  : true
type StepFalls<S, Here> = S extends GRecur<string> | GEnd ? false
  : S extends GChoice<string, string, infer B> // (a choice with no branches is the builder's error: not reported again)
    ? [B] extends [never] ? true : true extends (B extends GBranch<string, infer Seq> ? Falls<Seq, Here> : never) ? true : false
  : S extends GLoop<infer N, infer Body> ? Falls<Body, Here | N>
  : true

/** `true` when some path through `Seq` leaves the loops `Here` other than at its end: `end()`, or a recur to an outer loop. */
type Escapes<Seq, Here> = Seq extends Then<infer Init, infer Last> ? StepEscapes<Last, Here> extends true ? true : Escapes<Init, Here>
  : false
type StepEscapes<S, Here> = S extends GRecur<infer X> ? X extends Here ? false : true
  : S extends GEnd ? true
  : S extends GChoice<string, string, infer B> ? true extends (B extends GBranch<string, infer Seq> ? Escapes<Seq, Here> : never) ? true : false
  : S extends GLoop<infer N, infer Body> ? Escapes<Body, Here | N>
  : false

/**
 * The defects of `Seq` (at any depth) that the global type shows, in the run-time words (no
 * sites): loops with no way out (a `forever` loop needs none), loops that can go round without
 * a message (unguarded), a step after a `forever` loop that no path leaves, and `end()` inside
 * a parallel branch, a timeout's or a saga's part (`In`, the innermost of them around `Seq`).
 * `Outer` names the enclosing loops. Tail-recursive along a sequence.
 */
type Defects<Seq, In, Outer, Acc = never> = Seq extends Then<infer Init, infer Last>
  ? Defects<Init, In, Outer, Acc | DefectsIn<Last, In, Outer> | AfterForever<Init>>
  : Acc
/** A step (the one after `Init`) follows a `forever` loop that no path leaves. */
type AfterForever<Init> = Init extends Then<unknown, GForever<infer N, infer Body>>
  ? Falls<Body, N> extends true ? never : Msg.StepAfterForever<N>
  : never
type DefectsIn<S, In, Outer> = S extends GEnd ? [In] extends [never] ? never : EndIn<In>
  : S extends GLoop<infer N, infer Body>
    // A name of an enclosing loop again is the builder's error (not reported a second time: not a literal).
    ? N extends Outer ? `${string}`
    : (S extends GForever<string, unknown> ? never
      : Falls<Body, N> extends true ? never
      : Escapes<Body, N> extends true ? never
      : Msg.LoopWithoutExit<N>)
      | (Silent<Fwd<Body>, N, []> extends true ? Msg.UnguardedLoop<N> : never)
      | Defects<Body, In, Outer | N>
  : S extends GChoice<string, string, infer B> ? B extends GBranch<string, infer Seq> ? Defects<Seq, In, Outer> : never
  : S extends GPar<infer Bs extends ReadonlyArray<unknown>> ? Defects<Bs[number], "parallel", Outer>
  : S extends GTimeout<string, string, infer B, infer F> ? Defects<B, "timeout", Outer> | Defects<F, "timeout", Outer>
  : S extends GSaga<string, string, infer F, infer C> ? Defects<F, "saga", Outer> | Defects<C, "saga", Outer>
  : S extends GEach<string, boolean, infer Body> ? Defects<Body, "forEach", never>
  : S extends GBlock<string, infer Body> ? Defects<Body, In, never>
  // (the round's own recur, which the builder adds after the body, is no step of the user's)
  : S extends GRounds<string, infer Again>
    ? Again extends Then<infer Body, GRecur<string>> ? Defects<Body, In, Outer> : Defects<Again, In, Outer>
  : never

/**
 * `true` when some member of `S` is not a string literal (`string`, or a template with a hole).
 *
 * @internal
 */
export type NotLiteral<S extends string> = true extends (S extends unknown ? {} extends Record<S, 1> ? true : false : never) ? true
  : false

/**
 * `true` when some path from the start of the forward list `Rest` (then of the lists in
 * `Stack`, what follows the blocks it is in) reaches `recur(N)` with no message on the way:
 * the loop is unguarded. A message, `end()`, a parallel with a role in it, a timeout or a saga
 * stops a path, as at run time; a recur of another loop goes back where the walk has been.
 */
type Silent<Rest, N extends string, Stack extends ReadonlyArray<unknown>> = Rest extends FCons<infer S, infer T>
  ? S extends GMsg<string, string, string> | GEnd | GTimeout<string, string, unknown, unknown> | GSaga<string, string, unknown, unknown> ? false
  : S extends GRecur<infer X> ? X extends N ? true : false
  : S extends GChoice<string, string, infer B>
    ? true extends (B extends GBranch<string, infer Seq> ? Silent<Fwd<Seq>, N, [T, ...Stack]> : never) ? true : false
  : S extends GLoop<string, infer Body> ? Silent<Fwd<Body>, N, [T, ...Stack]>
  : S extends GBlock<string, infer Body> ? Silent<Fwd<Body>, N, [T, ...Stack]>
  : S extends GRounds<string, infer Again> ? Silent<Fwd<Again>, N, [T, ...Stack]> extends true ? true : Silent<T, N, Stack>
  : S extends GPar<infer Bs> ? [ParRoles<Bs>] extends [never] ? Silent<T, N, Stack> : false
  : S extends GEach<string, boolean, unknown> | GExchange<string, string> ? false
  : Silent<T, N, Stack>
  : Stack extends readonly [infer Next, ...infer More] ? Silent<Next, N, More>
  : false

type EndIn<In> = In extends "parallel" ? Msg.EndInParallel : In extends "timeout" ? Msg.EndInTimeout : In extends "forEach" ? Msg.EndInForEach
  : Msg.EndInSaga

/**
 * Why protocol `P` is ill-formed, in the words of the run-time `ProjectionError` (its first
 * role's, in the order of `Roles`), or `never` when every role's local type is well formed.
 *
 * @category projection
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { IllFormedReason } from "quadrille"
 *
 * const Blind = Protocol.makeEither("Blind", {
 *   roles: ["A", "B", "C"],
 *   messages: { X: Schema.Number, Y: Schema.Number }
 * }, (g) =>
 *   g.choice("A", "pick", {
 *     left: (b) => b.msg("A", "C", "X"),
 *     right: (b) => b.msg("A", "C", "X").msg("B", "C", "Y")
 *   }))
 *
 * type Why = IllFormedReason<typeof Blind extends { readonly right: infer P } ? P : never>
 * const said: Why extends `${string}B${string}` ? true : false = true
 * assert.strictEqual(said, true)
 * ```
 *
 * @since 0.1.0
 */
export type IllFormedReason<P> = P extends Protocol<string, infer Roles, infer M, infer G, string>
  ? Defects<G, never, never> extends infer D extends string ? [D] extends [never] ? FirstOf<
        { readonly [R in Roles]: FirstFailure<Project<Start<Pos<Fwd<G>, Top, never>, "none">, R, M, never>> }
      >
    : NotLiteral<D> extends true ? `${string}` // the body has an error of its own
    : LastOf<D>
  : never
  : never

type FirstOf<T> = T[keyof T] extends infer U ? [U] extends [never] ? never : LastOf<U> : never
