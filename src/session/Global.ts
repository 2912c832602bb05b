/**
 * The global session type as TypeScript types. The builder of `Protocol.make` accumulates
 * one of these per step, newest step outermost (`Then<Previous, Step>`), so that each call
 * does a constant amount of type work. Projection (`Local<P, Role>`) reads them.
 *
 * @since 0.1.0
 */

/**
 * The empty sequence.
 *
 * @category global types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { Nil, Then, GMsg } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * // The builder starts from `Nil`; each step wraps what came before.
 * const exact: [Protocol.GlobalOf<typeof PingPong>] extends [Then<Then<Nil, GMsg<"A", "B", "Ping">>, GMsg<"B", "A", "Pong">>] ? true : false = true
 * assert.strictEqual(exact, true)
 * ```
 *
 * @since 0.1.0
 */
export interface Nil {
  readonly _tag: "Nil"
}

/**
 * A sequence: `Init` followed by `Last`.
 *
 * @category global types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { Then, GMsg } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * type G = Protocol.GlobalOf<typeof PingPong>
 * // The newest step is outermost: the last message is `last`.
 * const last: G extends Then<unknown, infer Last> ? [Last] extends [GMsg<"B", "A", "Pong">] ? true : false : false = true
 * assert.strictEqual(last, true)
 * ```
 *
 * @since 0.1.0
 */
export interface Then<Init, Last> {
  readonly _tag: "Then"
  readonly init: Init
  readonly last: Last
}

/**
 * `From -> To: Label`. The payload type is looked up in the catalogue when the role is
 * projected, not stored here: a schema's type is a mapped type, and a global type holding
 * one makes every later builder call re-walk it (TS2589 after about 95 steps).
 *
 * @category global types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { Nil, Then, GMsg } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * const first: Protocol.GlobalOf<typeof PingPong> extends Then<Then<Nil, GMsg<"A", "B", "Ping">>, unknown> ? true : false = true
 * assert.strictEqual(first, true)
 * ```
 *
 * @since 0.1.0
 */
export interface GMsg<From extends string, To extends string, Label extends string> {
  readonly _tag: "Msg"
  readonly from: From
  readonly to: To
  readonly label: Label
}

/**
 * One branch of a `GChoice`: its name and its sequence. A choice's branches are a union of
 * these, not an object (mapped) type, for the reason given at `GMsg`.
 *
 * @category global types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { GBranch, GChoice, Nil, Then } from "quadrille"
 *
 * // A chooses; B learns the branch from the label it receives.
 * const Vote = Protocol.make("Vote", {
 *   roles: ["A", "B"],
 *   messages: { Yes: Schema.Struct({}), No: Schema.Struct({}) }
 * }, (g) => g.choice("A", "answer", { yes: (b) => b.msg("A", "B", "Yes"), no: (b) => b.msg("A", "B", "No") }))
 *
 * type Branches = Protocol.GlobalOf<typeof Vote> extends Then<Nil, GChoice<"A", "answer", infer B>> ? B : never
 * type Label = Branches extends GBranch<infer L, unknown> ? L : never
 * const labels: [Label] extends ["yes" | "no"] ? true : false = true
 * assert.strictEqual(labels, true)
 * ```
 *
 * @since 0.1.0
 */
export interface GBranch<Label extends string, Seq> {
  readonly label: Label
  readonly seq: Seq
}

/**
 * A choice made by `At`; `Branches` is a union of `GBranch`es.
 *
 * @category global types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { GChoice, Nil, Then } from "quadrille"
 *
 * // A chooses; B learns the branch from the label it receives.
 * const Vote = Protocol.make("Vote", {
 *   roles: ["A", "B"],
 *   messages: { Yes: Schema.Struct({}), No: Schema.Struct({}) }
 * }, (g) => g.choice("A", "answer", { yes: (b) => b.msg("A", "B", "Yes"), no: (b) => b.msg("A", "B", "No") }))
 *
 * const choice: Protocol.GlobalOf<typeof Vote> extends Then<Nil, GChoice<"A", "answer", unknown>> ? true : false = true
 * assert.strictEqual(choice, true)
 * ```
 *
 * @since 0.1.0
 */
export interface GChoice<At extends string, Name extends string, Branches> {
  readonly _tag: "Choice"
  readonly at: At
  readonly name: Name
  readonly branches: Branches
}

/**
 * A loop named `Name`; its body goes round again at `GRecur<Name>`.
 *
 * @category global types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { GLoop, Nil, Then } from "quadrille"
 *
 * const Stream = Protocol.make("Stream", {
 *   roles: ["Producer", "Consumer"],
 *   messages: { Item: Schema.Number, Done: Schema.Struct({}) }
 * }, (g) =>
 *   g.loop("items", (l) =>
 *     l.choice("Producer", "more", {
 *       item: (b) => b.msg("Producer", "Consumer", "Item").recur("items"),
 *       done: (b) => b.msg("Producer", "Consumer", "Done")
 *     })))
 *
 * const loop: Protocol.GlobalOf<typeof Stream> extends Then<Nil, GLoop<"items", unknown>> ? true : false = true
 * assert.strictEqual(loop, true)
 * ```
 *
 * @since 0.1.0
 */
export interface GLoop<Name extends string, Body> {
  readonly _tag: "Loop"
  readonly name: Name
  readonly body: Body
}

/**
 * A loop declared infinite with `forever(Name, body)`: like `GLoop` (which it extends, so every
 * walk of loops applies to it), but it needs no way out. A path of its body that does not
 * recur still leaves it; when none does, nothing after it is reachable.
 *
 * @category global types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { GForever, GMsg, GRecur, Nil, Then } from "quadrille"
 *
 * const Ticks = Protocol.make("Ticks", { roles: ["Clock", "Listener"], messages: { Tick: Schema.Number } }, (g) =>
 *   g.forever("ticks", (l) => l.msg("Clock", "Listener", "Tick").recur("ticks")))
 *
 * type Expected = Then<Nil, GForever<"ticks", Then<Then<Nil, GMsg<"Clock", "Listener", "Tick">>, GRecur<"ticks">>>>
 * const exact: [Protocol.GlobalOf<typeof Ticks>] extends [Expected] ? true : false = true
 * assert.strictEqual(exact, true)
 * ```
 *
 * @since 0.1.0
 */
export interface GForever<Name extends string, Body> extends GLoop<Name, Body> {
  readonly forever: true
}

/**
 * The round check of `repeat(Param, body)`: every role that takes part in `Again` goes round
 * while fewer than `Param` rounds are done (a session parameter), then leaves the loop.
 *
 * @category global types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { GLoop, GMsg, GRecur, GRounds, Nil, Then } from "quadrille"
 *
 * // `repeat(n, ...)` is a loop whose body is the round check, then the body, then `recur`.
 * const Pings = Protocol.make("Pings", { roles: ["A", "B"], messages: { Ping: Schema.Number } }, (g) =>
 *   g.repeat("n", (r) => r.msg("A", "B", "Ping")))
 *
 * type Expected = Then<Nil, GLoop<"n", Then<Nil, GRounds<"n", Then<Then<Nil, GMsg<"A", "B", "Ping">>, GRecur<"n">>>>>>
 * const exact: [Protocol.GlobalOf<typeof Pings>] extends [Expected] ? true : false = true
 * assert.strictEqual(exact, true)
 * ```
 *
 * @since 0.1.0
 */
export interface GRounds<Param extends string, Again> {
  readonly _tag: "Rounds"
  readonly param: Param
  readonly again: Again
}

/**
 * Branches (a tuple of sequences) that run concurrently, then what follows.
 *
 * @category global types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { GMsg, GPar, Nil, Then } from "quadrille"
 *
 * const Fan = Protocol.make("Fan", { roles: ["A", "B", "C"], messages: { Job: Schema.Number } }, (g) =>
 *   g.parallel((b) => b.msg("A", "B", "Job"), (c) => c.msg("A", "C", "Job")))
 *
 * type Expected = Then<Nil, GPar<[Then<Nil, GMsg<"A", "B", "Job">>, Then<Nil, GMsg<"A", "C", "Job">>]>>
 * const exact: [Protocol.GlobalOf<typeof Fan>] extends [Expected] ? true : false = true
 * assert.strictEqual(exact, true)
 * ```
 *
 * @since 0.1.0
 */
export interface GPar<Branches> {
  readonly _tag: "Par"
  readonly branches: Branches
}

/**
 * `timeout(At, Name, duration, body, fallback)`: `At` races its part of `Body` against the
 * clock. In time, every role goes on after the body; when time runs out, every role in the
 * timeout (`At` and the roles of `Body` and `Fallback`) leaves the body and runs its part of
 * `Fallback`, then goes on. Both are sequences that end by themselves (no `recur` out, no
 * `end()`), like the branches of a `GPar`.
 *
 * @category global types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { GMsg, GTimeout, Nil, Then } from "quadrille"
 *
 * const Ask = Protocol.make("Ask", { roles: ["A", "B"], messages: { Reply: Schema.String, Cancel: Schema.Struct({}) } }, (g) =>
 *   g.timeout("A", "answer", "1 second", (b) => b.msg("B", "A", "Reply"), (f) => f.msg("A", "B", "Cancel")))
 *
 * type Expected = Then<Nil, GTimeout<"A", "answer", Then<Nil, GMsg<"B", "A", "Reply">>, Then<Nil, GMsg<"A", "B", "Cancel">>>>
 * const exact: [Protocol.GlobalOf<typeof Ask>] extends [Expected] ? true : false = true
 * assert.strictEqual(exact, true)
 * ```
 *
 * @since 0.1.0
 */
export interface GTimeout<At extends string, Name extends string, Body, Fallback> {
  readonly _tag: "Timeout"
  readonly at: At
  readonly name: Name
  readonly body: Body
  readonly fallback: Fallback
}

/**
 * `saga(Owner, Name, forward, compensate)`: every role of the saga (`Owner` and the roles of
 * `Forward` and `Compensate`) runs its part of `Forward`; when anything fails inside it,
 * `Owner` switches every one of them to its part of `Compensate` instead; otherwise the saga
 * commits. Every role then goes on after the saga. Both are sequences that end by themselves
 * (no `recur` out, no `end()`), like the parts of a `GTimeout`; unlike a timeout's `At`,
 * `Owner` need not take part in `Forward`.
 *
 * @category global types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { GMsg, GSaga, Nil, Then } from "quadrille"
 *
 * const Booking = Protocol.make("Booking", { roles: ["A", "B"], messages: { Book: Schema.String, Release: Schema.Struct({}) } }, (g) =>
 *   g.saga("A", "booking", (f) => f.msg("A", "B", "Book"), (c) => c.msg("A", "B", "Release")))
 *
 * type Expected = Then<Nil, GSaga<"A", "booking", Then<Nil, GMsg<"A", "B", "Book">>, Then<Nil, GMsg<"A", "B", "Release">>>>
 * const exact: [Protocol.GlobalOf<typeof Booking>] extends [Expected] ? true : false = true
 * assert.strictEqual(exact, true)
 * ```
 *
 * @since 0.1.0
 */
export interface GSaga<Owner extends string, Name extends string, Forward, Compensate> {
  readonly _tag: "Saga"
  readonly owner: Owner
  readonly name: Name
  readonly forward: Forward
  readonly compensate: Compensate
}

/**
 * Go round loop `Name` again.
 *
 * @category global types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { GForever, GMsg, GRecur, Nil, Then } from "quadrille"
 *
 * const Ticks = Protocol.make("Ticks", { roles: ["Clock", "Listener"], messages: { Tick: Schema.Number } }, (g) =>
 *   g.forever("ticks", (l) => l.msg("Clock", "Listener", "Tick").recur("ticks")))
 *
 * type Body = Protocol.GlobalOf<typeof Ticks> extends Then<Nil, GForever<"ticks", infer B>> ? B : never
 * const recurs: Body extends Then<Then<Nil, GMsg<"Clock", "Listener", "Tick">>, GRecur<"ticks">> ? true : false = true
 * assert.strictEqual(recurs, true)
 * ```
 *
 * @since 0.1.0
 */
export interface GRecur<Name extends string> {
  readonly _tag: "Recur"
  readonly name: Name
}

/**
 * The protocol ends here, whatever encloses this point.
 *
 * @category global types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { GEnd, Then } from "quadrille"
 *
 * // A chooses; B learns the branch from the label it receives.
 * const Vote = Protocol.make("Vote", {
 *   roles: ["A", "B"],
 *   messages: { Yes: Schema.Struct({}), No: Schema.Struct({}) }
 * }, (g) => g.choice("A", "answer", { yes: (b) => b.msg("A", "B", "Yes"), no: (b) => b.msg("A", "B", "No") }))
 *
 * const Ends = Protocol.make("Ends", { roles: ["A", "B"], messages: { Yes: Schema.Struct({}) } }, (g) => g.msg("A", "B", "Yes").end())
 * const ends: Protocol.GlobalOf<typeof Ends> extends Then<unknown, GEnd> ? true : false = true
 * assert.strictEqual(ends, true)
 * ```
 *
 * @since 0.1.0
 */
export interface GEnd {
  readonly _tag: "End"
}

/**
 * A sequence inlined as one step: a composed sub-protocol (its roles already renamed) or a
 * broadcast. `Name` is the sub-protocol's name, for reading.
 *
 * @category global types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { GBlock, GMsg, Nil, Then } from "quadrille"
 *
 * const Hello = Protocol.make("Hello", { roles: ["X", "Y"], messages: { Hi: Schema.String } }, (g) => g.msg("X", "Y", "Hi"))
 * // Hello composed with its roles renamed: X is B, Y is C.
 * const Trio = Protocol.make("Trio", { roles: ["A", "B", "C"], messages: { Hi: Schema.String } }, (g) =>
 *   g.msg("A", "B", "Hi").compose(Hello, { X: "B", Y: "C" }))
 *
 * type Expected = Then<Then<Nil, GMsg<"A", "B", "Hi">>, GBlock<"Hello", Then<Nil, GMsg<"B", "C", "Hi">>>>
 * const exact: [Protocol.GlobalOf<typeof Trio>] extends [Expected] ? true : false = true
 * assert.strictEqual(exact, true)
 * ```
 *
 * @since 0.1.0
 */
export interface GBlock<Name extends string, Body> {
  readonly _tag: "Block"
  readonly name: Name
  readonly body: Body
}

/**
 * `forEach(Family, body)`: `Body` once for each member of `Family` (a session parameter says
 * how many), one after the other, or concurrently when `Parallel`. In `Body` the family's name
 * stands for the member (`broadcast` and `gather` to or from a family are such steps).
 *
 * @category global types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { GEach, GMsg, Nil, Then } from "quadrille"
 *
 * const Poll = Protocol.make("Poll", { roles: ["Host"], families: ["Voter"], messages: { Ask: Schema.String, Vote: Schema.Boolean } }, (g) =>
 *   g.broadcast("Host", "Voter", "Ask").gather("Voter", "Host", "Vote"))
 *
 * // The broadcast is the Host's message to each voter in turn; the gather, each voter's at once.
 * type Expected = Then<Then<Nil, GEach<"Voter", false, Then<Nil, GMsg<"Host", "Voter", "Ask">>>>, GEach<"Voter", true, Then<Nil, GMsg<"Voter", "Host", "Vote">>>>
 * const exact: [Protocol.GlobalOf<typeof Poll>] extends [Expected] ? true : false = true
 * assert.strictEqual(exact, true)
 * ```
 *
 * @since 0.1.0
 */
export interface GEach<Family extends string, Parallel extends boolean, Body> {
  readonly _tag: "Each"
  readonly family: Family
  readonly parallel: Parallel
  readonly body: Body
}

/**
 * `exchange(Family, Label)`: every member of `Family` sends `Label` to every other member,
 * all at once.
 *
 * @category global types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { GExchange, Nil, Then } from "quadrille"
 *
 * const Gossip = Protocol.make("Gossip", { roles: [], families: ["Peer"], messages: { Rumour: Schema.String } }, (g) =>
 *   g.exchange("Peer", "Rumour"))
 *
 * const exact: [Protocol.GlobalOf<typeof Gossip>] extends [Then<Nil, GExchange<"Peer", "Rumour">>] ? true : false = true
 * assert.strictEqual(exact, true)
 * ```
 *
 * @since 0.1.0
 */
export interface GExchange<Family extends string, Label extends string> {
  readonly _tag: "Exchange"
  readonly family: Family
  readonly label: Label
}

type Lookup<Map, K> = K extends keyof Map ? Map[K] & string : K & string

interface SCons<out Head, out Tail> {
  readonly head: Head
  readonly tail: Tail
}
interface SNil {
  readonly _tag: "SNil"
}

/** The steps of a sequence, first first (tail-recursive). */
type Steps<G, Acc = SNil> = G extends Then<infer Init, infer Last> ? Steps<Init, SCons<Last, Acc>> : Acc

/**
 * Global type `G` with its roles renamed by `Map` (sub-protocol role to role). Computed at
 * once, in tail-recursive passes that bind every part with `infer`, so that what is stored in
 * the composing protocol's global type is concrete (see `GMsg`).
 *
 * @category global types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { Renamed, Then, Nil, GMsg } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * type Swapped = Renamed<Protocol.GlobalOf<typeof PingPong>, { A: "Client"; B: "Server" }>
 * const exact: [Swapped] extends [Then<Then<Nil, GMsg<"Client", "Server", "Ping">>, GMsg<"Server", "Client", "Pong">>] ? true : false = true
 * assert.strictEqual(exact, true)
 * ```
 *
 * @since 0.1.0
 */
export type Renamed<G, Map> = RebuildRenamed<Steps<G>, Map, Nil>

type RebuildRenamed<L, Map, Acc> = L extends SCons<infer S, infer Rest>
  ? RenamedStep<S, Map> extends infer S2 ? RebuildRenamed<Rest, Map, Then<Acc, S2>> : never
  : Acc

type RenamedStep<S, Map> = S extends GMsg<infer F, infer T, infer L>
  ? [Lookup<Map, F>, Lookup<Map, T>] extends [infer F2 extends string, infer T2 extends string] ? GMsg<F2, T2, L> : never
  : S extends GChoice<infer At, infer N, infer B>
    ? [Lookup<Map, At>, RenamedBranches<B, Map>] extends [infer A2 extends string, infer B2] ? GChoice<A2, N, B2> : never
  : S extends GForever<infer N, infer Body> ? Renamed<Body, Map> extends infer Body2 ? GForever<N, Body2> : never
  : S extends GLoop<infer N, infer Body> ? Renamed<Body, Map> extends infer Body2 ? GLoop<N, Body2> : never
  : S extends GBlock<infer N, infer Body> ? Renamed<Body, Map> extends infer Body2 ? GBlock<N, Body2> : never
  : S extends GRounds<infer N, infer Again> ? Renamed<Again, Map> extends infer Again2 ? GRounds<N, Again2> : never
  : S extends GPar<infer B> ? RenamedTuple<B, Map> extends infer B2 ? GPar<B2> : never
  : S extends GTimeout<infer At, infer N, infer Body, infer F>
    ? [Lookup<Map, At>, Renamed<Body, Map>, Renamed<F, Map>] extends [infer A2 extends string, infer Body2, infer F2]
      ? GTimeout<A2, N, Body2, F2>
    : never
  : S extends GSaga<infer O, infer N, infer F, infer C>
    ? [Lookup<Map, O>, Renamed<F, Map>, Renamed<C, Map>] extends [infer O2 extends string, infer F2, infer C2]
      ? GSaga<O2, N, F2, C2>
    : never
  : S

type RenamedBranches<B, Map> = B extends GBranch<infer L, infer Seq> ? Renamed<Seq, Map> extends infer S2 ? GBranch<L, S2> : never
  : never

type RenamedTuple<B, Map, Acc extends ReadonlyArray<unknown> = []> = B extends readonly [infer H, ...infer T]
  ? Renamed<H, Map> extends infer H2 ? RenamedTuple<T, Map, [...Acc, H2]> : never
  : Acc

/**
 * One message from `From` to each of `To`, in order.
 *
 * @category global types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { Broadcast, GBlock, GMsg, Nil, Then } from "quadrille"
 *
 * const Announce = Protocol.make("Announce", { roles: ["A", "B", "C"], messages: { News: Schema.String } }, (g) =>
 *   g.broadcast("A", ["B", "C"], "News"))
 *
 * const sent: [Broadcast<"A", ["B", "C"], "News">] extends [Then<Then<Nil, GMsg<"A", "B", "News">>, GMsg<"A", "C", "News">>] ? true : false = true
 * const inside: Protocol.GlobalOf<typeof Announce> extends Then<Nil, GBlock<"broadcast", Broadcast<"A", ["B", "C"], "News">>> ? true : false = true
 * assert.strictEqual(sent && inside, true)
 * ```
 *
 * @since 0.1.0
 */
export type Broadcast<From extends string, To, Label extends string, Acc = Nil> = To extends
  readonly [infer H extends string, ...infer Rest] ? Broadcast<From, Rest, Label, Then<Acc, GMsg<From, H, Label>>>
  : Acc

/**
 * The roles that act anywhere in global type `G` (tail-recursive along each sequence).
 *
 * @category global types
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { RolesIn } from "quadrille"
 *
 * // C is declared but never acts.
 * const Idle = Protocol.make("Idle", { roles: ["A", "B", "C"], messages: { Ping: Schema.Number } }, (g) => g.msg("A", "B", "Ping"))
 * const acting: [RolesIn<Protocol.GlobalOf<typeof Idle>>] extends ["A" | "B"] ? true : false = true
 * assert.strictEqual(acting, true)
 * ```
 *
 * @since 0.1.0
 */
export type RolesIn<G, Acc = never> = G extends Then<infer Init, infer Last> ? RolesIn<Init, Acc | RolesOfStep<Last>> : Acc

type RolesOfStep<S> = S extends GMsg<infer F, infer T, string> ? F | T
  : S extends GChoice<infer At, string, infer B> ? At | (B extends GBranch<string, infer Seq> ? RolesIn<Seq> : never)
  : S extends GLoop<string, infer Body> ? RolesIn<Body>
  : S extends GBlock<string, infer Body> ? RolesIn<Body>
  : S extends GRounds<string, infer Again> ? RolesIn<Again>
  : S extends GPar<infer B> ? { [K in keyof B]: RolesIn<B[K]> }[number & keyof B]
  : S extends GTimeout<infer At, string, infer Body, infer F> ? At | RolesIn<Body> | RolesIn<F>
  : S extends GSaga<infer O, string, infer F, infer C> ? O | RolesIn<F> | RolesIn<C>
  : S extends GEach<string, boolean, infer Body> ? RolesIn<Body>
  : S extends GExchange<infer F, string> ? F
  : never
