/**
 * Global protocols as values. `Protocol.make` builds one with a fluent builder whose type
 * accumulates the global session type, checks that every role can be given a local type,
 * and gives every interaction a stable site id.
 *
 * @since 0.1.0
 */
import { Duration, Either, Schema } from "effect"
import { ProjectionError } from "../effects/errors.js"
import { maxNameLength } from "../effects/Transport.js"
import { clip, preview } from "../internal/bounded.js"
import { own, setOwn } from "../internal/own.js"
import type {
  Broadcast,
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
  Nil,
  Renamed,
  RolesIn,
  Then
} from "../session/Global.js"
import type { IllFormedReason, NotLiteral } from "../session/Local.js"
import { compile, type GlobalGraph, rolesIn } from "./graph.js"
import * as Msg from "./messages.js"

/**
 * The message catalogue: every label with the Schema of its payload.
 *
 * @category models
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 *
 * const messages = {
 *   Ping: Schema.Number,
 *   Pong: Schema.Struct({ n: Schema.Number })
 * } satisfies Protocol.Catalogue
 *
 * const PingPong = Protocol.make("PingPong", { roles: ["A", "B"], messages }, (g) =>
 *   g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 * assert.deepStrictEqual(Object.keys(PingPong.messages), ["Ping", "Pong"])
 * ```
 *
 * @since 0.1.0
 */
export type Catalogue = { readonly [label: string]: Schema.Schema.AnyNoContext }

/**
 * A step of a global protocol, as data. `site` is the step's path in the global tree:
 * `"2"` is the third top-level step, `"2.commit.0"` the first step of branch `commit` of
 * the choice at `"2"`, `"3.1"` the second step of the body of the loop at `"3"`.
 *
 * @category models
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 *
 * const Vote = Protocol.make("Vote", {
 *   roles: ["A", "B"],
 *   messages: { Ask: Schema.Number, Yes: Schema.Struct({}), No: Schema.Struct({}) }
 * }, (g) =>
 *   g.msg("A", "B", "Ask").choice("B", "answer", {
 *     yes: (b) => b.msg("B", "A", "Yes"),
 *     no: (b) => b.msg("B", "A", "No")
 *   }))
 *
 * const steps: ReadonlyArray<Protocol.Step> = Vote.steps
 * assert.deepStrictEqual(steps.map((s) => `${s._tag} at ${s.site}`), ["Msg at 0", "Choice at 1"])
 * ```
 *
 * @since 0.1.0
 */
export type Step =
  | { readonly _tag: "Msg"; readonly site: string; readonly from: string; readonly to: string; readonly label: string }
  | {
    readonly _tag: "Choice"
    readonly site: string
    readonly at: string
    readonly name: string
    readonly branches: ReadonlyArray<{ readonly label: string; readonly steps: ReadonlyArray<Step> }>
  }
  /** `forever`: declared infinite (`Builder.forever`), so it needs no way out. */
  | { readonly _tag: "Loop"; readonly site: string; readonly name: string; readonly body: ReadonlyArray<Step>; readonly forever?: true }
  /** Branches that run concurrently; each role goes on after all of its branches have ended. */
  | { readonly _tag: "Parallel"; readonly site: string; readonly branches: ReadonlyArray<ReadonlyArray<Step>> }
  /** `body` done `param` times, a number every role is given when the session starts. */
  | { readonly _tag: "Repeat"; readonly site: string; readonly param: string; readonly body: ReadonlyArray<Step> }
  | { readonly _tag: "Recur"; readonly site: string; readonly name: string }
  | { readonly _tag: "End"; readonly site: string }
  /**
   * `at` races its part of `body` against the clock (`duration` milliseconds); on expiry
   * every role in the timeout goes on with `fallback` instead (see `Builder.timeout`).
   */
  | {
    readonly _tag: "Timeout"
    readonly site: string
    readonly at: string
    readonly name: string
    readonly duration: number
    readonly body: ReadonlyArray<Step>
    readonly fallback: ReadonlyArray<Step>
  }
  /**
   * `owner` decides: when anything fails inside `forward` (a handler's failure, a timeout, a
   * decode error, a peer's failure notice), every role of the saga goes on with `compensate`
   * instead (see `Builder.saga`).
   */
  | {
    readonly _tag: "Saga"
    readonly site: string
    readonly owner: string
    readonly name: string
    readonly forward: ReadonlyArray<Step>
    readonly compensate: ReadonlyArray<Step>
  }
  /** A composed sub-protocol, inlined with its roles renamed (`mapping`: sub role to role). */
  | {
    readonly _tag: "Compose"
    readonly site: string
    readonly protocol: string
    readonly mapping: Readonly<Record<string, string>>
    readonly steps: ReadonlyArray<Step>
  }

/**
 * A well-formed global protocol. Its type carries the global session type in the phantom
 * field `"~global"`.
 *
 * @category models
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * // The name and the roles are in the type; the global session type too (phantom "~global").
 * const protocol: Protocol.Protocol<"PingPong", "A" | "B"> = PingPong
 * assert.deepStrictEqual(protocol.roles, ["A", "B"])
 * ```
 *
 * @since 0.1.0
 */
export interface Protocol<
  out Name extends string = string,
  out R extends string = string,
  out M extends Catalogue = Catalogue,
  out G = unknown,
  out F extends string = never
> {
  readonly "~global": G
  readonly name: Name
  /** The roles, with the name of each family (which stands for any one of its members). */
  readonly roles: ReadonlyArray<R>
  /**
   * The families of roles (`families` of `Protocol.make`): each has a number of members given
   * when the session starts; `expand` makes the protocol with the members as roles.
   */
  readonly families: ReadonlyArray<F>
  readonly messages: M
  readonly steps: ReadonlyArray<Step>
  /** @internal the compiled global graph and per-role local automata */
  readonly "~graph": GlobalGraph
}

/**
 * Any protocol.
 *
 * @category models
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * const summary = (protocol: Protocol.Any): string => `${protocol.name}: ${protocol.roles.join(", ")}`
 * assert.strictEqual(summary(PingPong), "PingPong: A, B")
 * ```
 *
 * @since 0.1.0
 */
export type Any = Protocol<string, string, Catalogue, unknown, string>

/**
 * The roles of a protocol.
 *
 * @category type-level
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * type Role = Protocol.Roles<typeof PingPong> // "A" | "B"
 * const roles: ReadonlyArray<Role> = ["A", "B"]
 * assert.deepStrictEqual(roles, PingPong.roles)
 * ```
 *
 * @since 0.1.0
 */
export type Roles<P> = P extends Protocol<string, infer R, Catalogue, unknown, string> ? R : never
/**
 * The families of roles of a protocol (`never` when it has none).
 *
 * @category type-level
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 *
 * const Auction = Protocol.make("Auction", {
 *   roles: ["Auctioneer"],
 *   families: ["Bidder"],
 *   messages: { Item: Schema.String, Bid: Schema.Number }
 * }, (g) => g.broadcast("Auctioneer", "Bidder", "Item").gather("Bidder", "Auctioneer", "Bid"))
 *
 * type Family = Protocol.Families<typeof Auction> // "Bidder"
 * const family: Family = "Bidder"
 * assert.deepStrictEqual(Auction.families, [family])
 * ```
 *
 * @since 0.1.0
 */
export type Families<P> = P extends Protocol<string, string, Catalogue, unknown, infer F> ? F : never
/**
 * The message catalogue of a protocol.
 *
 * @category type-level
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * type Label = keyof Protocol.Messages<typeof PingPong> // "Ping" | "Pong"
 * const labels: ReadonlyArray<Label> = ["Ping", "Pong"]
 * assert.deepStrictEqual(labels, Object.keys(PingPong.messages))
 * ```
 *
 * @since 0.1.0
 */
export type Messages<P> = P extends Protocol<string, string, infer M, unknown, string> ? M : never
/**
 * The global session type of a protocol.
 *
 * @category type-level
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import type { GMsg, Nil, Then } from "quadrille"
 * import { Protocol } from "quadrille"
 *
 * const Ping = Protocol.make("Ping", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping"))
 *
 * // One message from A to B, after nothing.
 * const global: Protocol.GlobalOf<typeof Ping> extends Then<Nil, GMsg<"A", "B", "Ping">> ? true : false = true
 * assert.strictEqual(global, true)
 * ```
 *
 * @since 0.1.0
 */
export type GlobalOf<P> = P extends { readonly "~global": infer G } ? G : never

/**
 * Anything the builder returns: a sequence with its global type, and (phantom) the catalogue
 * at its end, with the catalogues of the protocols composed in it.
 *
 * @category builder
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import type { GMsg, Nil, Then } from "quadrille"
 * import { Protocol } from "quadrille"
 *
 * const messages = { Ping: Schema.Number, Pong: Schema.Number }
 *
 * // A body written apart from its `Protocol.make`: it takes the builder, returns what it built.
 * const body = (g: Protocol.Builder<"A" | "B", typeof messages, never, Nil>): Protocol.Built<Then<Nil, GMsg<"A", "B", "Ping">>> =>
 *   g.msg("A", "B", "Ping")
 *
 * const Ping = Protocol.make("Ping", { roles: ["A", "B"], messages }, body)
 * assert.strictEqual(Ping.steps.length, 1)
 * ```
 *
 * @since 0.1.0
 */
export interface Built<G = unknown, Ms = unknown> {
  readonly "~global": G
  readonly "~messages"?: Ms
}

/**
 * A sequence that has ended (`recur` or `end`): nothing may follow it.
 *
 * @category builder
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 *
 * // `recur` and `end` give an `Ended` sequence: nothing can be added after them.
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
 * assert.strictEqual(Protocol.formatLocal(Protocol.project(Stream, "Consumer")), "Rec items.Offer(Producer){ Item: items, Done: End }")
 * ```
 *
 * @since 0.1.0
 */
export interface Ended<G, Ms = unknown> extends Built<G, Ms> {
  readonly "~ended": true
}

/**
 * Inside a `repeat`, the names of the enclosing loops and repeats: still taken (a nested loop
 * or repeat may not reuse one), but no longer loops to `recur` to. Marked with a `~`.
 */
type Blocked<L extends string> = L extends `~${string}` ? L : `~${L}`

/** The names a loop or repeat may not take here: the enclosing loops' and repeats'. */
type Taken<L extends string> = L | (L extends `~${infer Name}` ? Name : never)

/**
 * The fluent builder of a global protocol. `R` are the declared roles, `M` the catalogue,
 * `Loops` the loops enclosing this point (and, marked `~name`, the names taken by loops and
 * repeats outside an enclosing repeat), `G` the global type built so far.
 *
 * @category builder
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 *
 * const Shop = Protocol.make("Shop", {
 *   roles: ["Buyer", "Seller"],
 *   messages: { Quote: Schema.Number, Price: Schema.Number, Accept: Schema.Struct({}), Reject: Schema.Struct({}) }
 * }, (g) =>
 *   g
 *     .msg("Buyer", "Seller", "Quote")
 *     .msg("Seller", "Buyer", "Price")
 *     .choice("Buyer", "decision", {
 *       accept: (b) => b.msg("Buyer", "Seller", "Accept"),
 *       reject: (b) => b.msg("Buyer", "Seller", "Reject")
 *     }))
 *
 * assert.deepStrictEqual(Shop.steps.map((s) => s._tag), ["Msg", "Msg", "Choice"])
 * ```
 *
 * @since 0.1.0
 */
export interface Builder<R extends string, M extends Catalogue, Loops extends string, G, Fam extends string = never> extends Built<G, M> {
  /** `from -> to: label`. The payload's Schema is `messages[label]`. */
  msg<const F extends R | Fam, const T extends R | Fam, const L extends keyof M & string>(
    from: F extends Fam ? Msg.FamilyAsRole<F> : F,
    to: T extends F ? Msg.SelfMessage<F, L> : T extends Fam ? Msg.FamilyAsRole<T> : T,
    label: L
  ): Builder<R, M, Loops, Then<G, GMsg<F, T, L>>, Fam>
  /**
   * `at` chooses one branch. Every other role must either behave the same in all branches
   * or learn the branch from the first message it receives in it.
   */
  choice<
    const At extends R | Fam,
    const N extends string,
    const B extends { readonly [branch: string]: (b: Builder<R, M, Loops, Nil, Fam>) => Built }
  >(
    at: At extends Fam ? Msg.FamilyAsRole<At> : At,
    name: N,
    branches: [keyof B] extends [never] ? Msg.EmptyChoice<N> : B
  ): Builder<R, M & CataloguesOf<ReturnType<B[keyof B]>>, Loops, Then<G, GChoice<At, N, BranchesOf<B>>>, Fam>
  /** A loop: its body goes round again at `recur(name)`; a path that does not recur leaves it. */
  loop<const N extends string, const Body extends Built>(
    name: N extends Taken<Loops> ? Msg.DuplicateLoopName<N> : N,
    body: (b: Builder<R, M, Loops | N, Nil, Fam>) => Body
  ): Builder<R, M & CataloguesOf<Body>, Loops, Then<G, GLoop<N, Body["~global"]>>, Fam>
  /**
   * A loop declared infinite, for servers: like `loop`, but it needs no way out, so its body
   * may recur on every path (an unmarked loop whose every path recurs is an error). A path
   * that does not recur still leaves it; when none does, no step may follow it. The session
   * runs until it is stopped: `Session.run(p, roles, { stop })`, `Role.run(..., { stop })`,
   * or an interruption.
   */
  forever<const N extends string, const Body extends Built>(
    name: N extends Taken<Loops> ? Msg.DuplicateLoopName<N> : N,
    body: (b: Builder<R, M, Loops | N, Nil, Fam>) => Body
  ): Builder<R, M & CataloguesOf<Body>, Loops, Then<G, GForever<N, Body["~global"]>>, Fam>
  /**
   * Sequential composition: the steps of `sub` follow, with its roles renamed by `mapping`
   * (each role of `sub` to a distinct role of this protocol). Its message catalogue joins
   * this one; a label with two different schemas is an error. The same sub-protocol may be
   * composed several times, with different mappings; its sites are prefixed by this step's.
   */
  compose<const Sub extends Any, const Map extends { readonly [K in Roles<Sub>]: R }>(
    sub: Sub,
    mapping: Map
  ): Builder<R, M & Messages<Sub>, Loops, Then<G, GBlock<Sub["name"], Renamed<GlobalOf<Sub>, Map>>>, Fam>
  /**
   * One message `label` from `from` to each of `to`, in that order; `to` may also name a
   * family (declared in `families`): then one message to each of its members, in the order of
   * their indices (`forEach(family, (b, m) => b.msg(from, m, label))`).
   */
  broadcast<const F extends R | Fam, const To extends readonly [] | ReadonlyArray<Exclude<R, F>> | Fam | R, const L extends keyof M & string>(
    from: F extends Fam ? Msg.FamilyAsRole<F> : F,
    to: To extends string ? To extends Fam ? To : Msg.NotAFamily<To> : To,
    label: L
  ): Builder<
    R,
    M,
    Loops,
    Then<G, To extends string ? GEach<To, false, Then<Nil, GMsg<F, To, L>>> : GBlock<"broadcast", Broadcast<F, To, L>>>,
    Fam
  >
  /**
   * One message `label` from every member of `family` to `to`, all at once (the members send
   * concurrently, `to` receives them in any order and goes on when it has them all):
   * `forEach(family, (b, m) => b.msg(m, to, label), { parallel: true })`.
   */
  gather<const Fm extends string, const T extends R, const L extends keyof M & string>(
    family: Fm extends Fam ? Fm : Msg.NotAFamily<Fm>,
    to: T,
    label: L
  ): Builder<R, M, Loops, Then<G, GEach<Fm, true, Then<Nil, GMsg<Fm, T, L>>>>, Fam>
  /**
   * Every member of `family` sends `label` to every other member, all at once; each member
   * goes on when it has sent to and received from every other one.
   */
  exchange<const Fm extends string, const L extends keyof M & string>(
    family: Fm extends Fam ? Fm : Msg.NotAFamily<Fm>,
    label: L
  ): Builder<R, M, Loops, Then<G, GExchange<Fm, L>>, Fam>
  /**
   * `body` once for each member of `family`, with `member` standing for it (a role of the
   * body's builder): one member after the other, in the order of their indices, or all at
   * once with `{ parallel: true }` (then like a `parallel` with one branch per member). The
   * number of members is a session parameter named after the family
   * (`Session.run(p, roles, { params: { [family]: n } })`). Inside, the family itself is no
   * longer a family (no nested `forEach` over it); like a parallel branch, the body cannot
   * `recur` to an enclosing loop nor `end()` the protocol.
   */
  forEach<const Fm extends string, const Body extends Built, const Par extends boolean = false>(
    family: Fm extends Fam ? Fm : Msg.NotAFamily<Fm>,
    body: (b: Builder<R | Fm, M, never, Nil, Exclude<Fam, Fm>>, member: Fm) => Body,
    options?: { readonly parallel?: Par }
  ): Builder<R, M & CataloguesOf<Body>, Loops, Then<G, GEach<Fm, Par, Body["~global"]>>, Fam>
  /**
   * Branches that run concurrently. Each role runs its own branches concurrently and goes on
   * only when all of them have ended (the barrier); a role in none of them goes straight on.
   * Messages of different branches between the same two roles never mix. A branch cannot
   * `recur` to an enclosing loop, nor `end()` the protocol.
   */
  parallel<const Bs extends ReadonlyArray<(b: Builder<R, M, never, Nil, Fam>) => Built>>(
    ...branches: Bs
  ): Builder<R, M & CataloguesOf<ReturnType<Bs[number]>>, Loops, Then<G, GPar<ParBranchesOf<Bs>>>, Fam>
  /**
   * A fixed number of rounds of `body`: `param` names a session parameter (a number given to
   * every role when the session starts: `Session.run(p, roles, { params: { [param]: n } })`),
   * so no message is needed to agree on when to stop. The body cannot `recur` to an
   * enclosing loop.
   */
  repeat<const N extends string, const Body extends Built>(
    param: N extends Taken<Loops> ? Msg.DuplicateLoopName<N> : N,
    body: (b: Builder<R, M, Blocked<Loops | N>, Nil, Fam>) => Body
  ): Builder<R, M & CataloguesOf<Body>, Loops, Then<G, GLoop<N, Then<Nil, GRounds<N, Then<Body["~global"], GRecur<N>>>>>>, Fam>
  /**
   * A deadline that `at` decides: it races its own part of `body` against `duration`,
   * counted from when it reaches this step. The roles in the timeout are `at` and the roles
   * of `body` and `fallback`. If `at`'s part ends in time, every role finishes its part of
   * the body and goes on after the timeout; if time runs out first, `at` tells the others,
   * and each of them leaves the body (if it is still in it), runs its part of `fallback`,
   * then goes on. A message of the body that arrives after the switch is dropped: it never reaches the
   * fallback nor what follows. `name` keys the handler `onTimeout[name]` of `Role.implement`
   * (required for `at`, optional for the other roles in the timeout). Like a parallel
   * branch, the body and the fallback cannot `recur` to an enclosing loop nor `end()` the
   * protocol; `at` must take part in the body.
   */
  timeout<const At extends R, const N extends string, const Body extends Built, const Fallback extends Built>(
    at: At,
    name: N,
    duration: Duration.DurationInput,
    body: (b: Builder<R, M, never, Nil, Fam>) => Body,
    fallback: (b: Builder<R, M, never, Nil, Fam>) => Fallback
  ): [At] extends [RolesIn<Body["~global"]>]
    ? Builder<R, M & CataloguesOf<Body | Fallback>, Loops, Then<G, GTimeout<At, N, Body["~global"], Fallback["~global"]>>, Fam>
    : BuilderError<TimeoutNotRaced<At, N>>
  /**
   * A compensating transaction that `owner` decides. Every role of the saga (`owner` and the
   * roles of `forward` and `compensate`) runs its part of `forward`. When anything fails
   * inside it (a handler's typed failure, a `Timeout`, a `DecodeError`, a peer's failure
   * notice), `owner` switches every role of the saga to its part of `compensate`, which
   * starts from the role's state as `forward` left it (`onCompensate[name](state)` of
   * `Role.implement` runs first, when given); otherwise the saga commits. Either way every
   * role then goes on after the saga. A message of the abandoned forward part that arrives
   * late is dropped: it never reaches the compensation nor what follows. Unlike a timeout's
   * `at`, `owner` need not take part in `forward`. Like a parallel branch, the parts cannot
   * `recur` to an enclosing loop nor `end()` the protocol.
   */
  saga<const Owner extends R, const N extends string, const Forward extends Built, const Compensate extends Built>(
    owner: Owner,
    name: N,
    forward: (b: Builder<R, M, never, Nil, Fam>) => Forward,
    compensate: (b: Builder<R, M, never, Nil, Fam>) => Compensate
  ): Builder<R, M & CataloguesOf<Forward | Compensate>, Loops, Then<G, GSaga<Owner, N, Forward["~global"], Compensate["~global"]>>, Fam>
  /** Go round the enclosing loop `name` again. */
  recur<const N extends string>(
    name: N extends Exclude<Loops, `~${string}`> ? N : Msg.RecurOutsideLoop<N>
  ): Ended<Then<G, GRecur<N>>, M>
  /** End the whole protocol on this path. */
  end(): Ended<Then<G, GEnd>, M>
}

/**
 * What a builder call returns instead of a builder when the step it adds is ill-formed in a
 * way its arguments' types alone cannot show: neither a further step nor `Protocol.make`
 * accepts it, and both errors name it, with `Message`.
 */
interface BuilderError<out Message extends string> {
  readonly "~error": Message
}

/**
 * The builder's compile-time form of the run-time `TimeoutNotRaced` error (the words of
 * `Msg.timeoutNotRaced`, without protocol and site).
 */
type TimeoutNotRaced<At extends string, N extends string> =
  `${At} decides timeout '${N}' but takes no part in its body, so there is nothing for it to race against the clock. Let ${At} receive in the body.`

/**
 * The branches of a choice as a union of `GBranch`es: concrete types, resolved at once (see
 * `GMsg` for why the global type holds no mapped type).
 */
type BranchesOf<B> = { [K in keyof B & string]: GBranch<K, B[K] extends (...args: never) => Built<infer S> ? S : never> }[
  keyof B & string
]

/** The branches of a parallel as a tuple of their global types (tail-recursive). */
type ParBranchesOf<Bs, Acc extends ReadonlyArray<unknown> = []> = Bs extends readonly [infer H, ...infer T]
  ? ParBranchesOf<T, [...Acc, H extends (...args: never) => Built<infer S> ? S : never]>
  : Acc

type UnionToIntersection<U> = (U extends unknown ? (k: U) => void : never) extends (k: infer I) => void ? I : never

/** The catalogues of some built sequences, joined (what `compose` added inside them). */
type CataloguesOf<B> = UnionToIntersection<B extends Built<unknown, infer Ms> ? (unknown extends Ms ? {} : Ms) : {}>

/** A raw step as the builder records it, before sites are given. */
type Raw =
  | { readonly _tag: "Msg"; readonly from: string; readonly to: string; readonly label: string }
  | {
    readonly _tag: "Choice"
    readonly at: string
    readonly name: string
    readonly branches: ReadonlyArray<readonly [string, RawSeq]>
  }
  | { readonly _tag: "Loop"; readonly name: string; readonly body: RawSeq; readonly forever?: true }
  | { readonly _tag: "Repeat"; readonly param: string; readonly body: RawSeq }
  /** `body` once per member of `family`, whose name stands for the member in it. */
  | { readonly _tag: "Each"; readonly family: string; readonly parallel: boolean; readonly body: RawSeq }
  | { readonly _tag: "Exchange"; readonly family: string; readonly label: string }
  | { readonly _tag: "Parallel"; readonly branches: ReadonlyArray<RawSeq> }
  | { readonly _tag: "Recur"; readonly name: string }
  | { readonly _tag: "End" }
  | { readonly _tag: "Timeout"; readonly at: string; readonly name: string; readonly duration: number; readonly body: RawSeq; readonly fallback: RawSeq }
  | { readonly _tag: "Saga"; readonly owner: string; readonly name: string; readonly forward: RawSeq; readonly compensate: RawSeq }
  | {
    readonly _tag: "Compose"
    readonly protocol: string
    readonly mapping: Readonly<Record<string, string>>
    readonly body: RawSeq
    /** The sub-protocol's catalogue, to merge into the composing one's. */
    readonly messages: Catalogue
  }

/** Steps newest first, as a linked list, so that each builder call is O(1). */
type RawSeq = { readonly last: Raw; readonly init: RawSeq } | undefined

class BuilderImpl {
  declare readonly "~global": unknown
  constructor(readonly seq: RawSeq) {}
  private add(last: Raw) {
    return new BuilderImpl({ last, init: this.seq })
  }
  msg(from: string, to: string, label: string) {
    return this.add({ _tag: "Msg", from, to, label })
  }
  choice(at: string, name: string, branches: Record<string, (b: BuilderImpl) => BuilderImpl>) {
    return this.add({
      _tag: "Choice",
      at,
      name,
      branches: Object.entries(branches).map(([label, f]) => [label, seqOf(f(empty), `branch '${label}'`)] as const)
    })
  }
  loop(name: string, body: (b: BuilderImpl) => BuilderImpl) {
    return this.add({ _tag: "Loop", name, body: seqOf(body(empty), `loop '${name}'`) })
  }
  forever(name: string, body: (b: BuilderImpl) => BuilderImpl) {
    return this.add({ _tag: "Loop", name, body: seqOf(body(empty), `forever '${name}'`), forever: true })
  }
  parallel(...branches: ReadonlyArray<(b: BuilderImpl) => BuilderImpl>) {
    return this.add({ _tag: "Parallel", branches: branches.map((f, j) => seqOf(f(empty), `parallel branch ${j}`)) })
  }
  repeat(param: string, body: (b: BuilderImpl) => BuilderImpl) {
    return this.add({ _tag: "Repeat", param, body: seqOf(body(empty), `repeat '${param}'`) })
  }
  recur(name: string) {
    return this.add({ _tag: "Recur", name })
  }
  saga(owner: string, name: string, forward: (b: BuilderImpl) => BuilderImpl, compensate: (b: BuilderImpl) => BuilderImpl) {
    return this.add({
      _tag: "Saga",
      owner,
      name,
      forward: seqOf(forward(empty), `the forward part of saga '${name}'`),
      compensate: seqOf(compensate(empty), `the compensation of saga '${name}'`)
    })
  }
  timeout(at: string, name: string, duration: Duration.DurationInput, body: (b: BuilderImpl) => BuilderImpl, fallback: (b: BuilderImpl) => BuilderImpl) {
    // Effect's `Duration.decode` takes -1 and NaN for 0: a number is checked as it is.
    let ms: number
    try {
      ms = typeof duration === "number" ? (Number.isFinite(duration) && duration >= 0 ? duration : Number.NaN) : Duration.toMillis(Duration.decode(duration))
    } catch {
      ms = Number.NaN // reported as BadDuration when the protocol is checked
    }
    return this.add({
      _tag: "Timeout",
      at,
      name,
      duration: ms,
      body: seqOf(body(empty), `the body of timeout '${name}'`),
      fallback: seqOf(fallback(empty), `the fallback of timeout '${name}'`)
    })
  }
  compose(sub: Any, mapping: Record<string, string>) {
    if (sub.families.length > 0) {
      throw new ProjectionError({ protocol: sub.name, rule: "FamilyMisuse", sites: [], message: Msg.composeFamilies(sub.name, sub.families) })
    }
    checkMapping(sub, mapping)
    return this.add({
      _tag: "Compose",
      protocol: sub.name,
      mapping,
      body: fromSteps(sub.steps, (r) => own(mapping, r) ?? r),
      messages: sub.messages
    })
  }
  broadcast(from: string, to: ReadonlyArray<string> | string, label: string) {
    if (typeof to === "string") return this.add({ _tag: "Each", family: to, parallel: false, body: { last: { _tag: "Msg", from, to, label }, init: undefined } })
    return to.reduce((b: BuilderImpl, r) => b.msg(from, r, label), this)
  }
  gather(family: string, to: string, label: string) {
    return this.add({ _tag: "Each", family, parallel: true, body: { last: { _tag: "Msg", from: family, to, label }, init: undefined } })
  }
  exchange(family: string, label: string) {
    return this.add({ _tag: "Exchange", family, label })
  }
  forEach(family: string, body: (b: BuilderImpl, member: string) => BuilderImpl, options?: { readonly parallel?: boolean }) {
    return this.add({ _tag: "Each", family, parallel: options?.parallel === true, body: seqOf(body(empty, family), `forEach '${family}'`) })
  }
  end() {
    return this.add({ _tag: "End" })
  }
}

const empty = new BuilderImpl(undefined)

const seqOf = (b: unknown, where: string): RawSeq => {
  if (!(b instanceof BuilderImpl)) {
    throw new TypeError(`the callback of ${where} must return the builder it was given, extended`)
  }
  return b.seq
}

/** A sub-protocol's checked steps as raw steps again, with roles renamed. */
const fromSteps = (steps: ReadonlyArray<Step>, rename: (role: string) => string): RawSeq => {
  let seq: RawSeq = undefined
  for (const s of steps) {
    let last: Raw
    switch (s._tag) {
      case "Msg":
        last = { _tag: "Msg", from: rename(s.from), to: rename(s.to), label: s.label }
        break
      case "Choice":
        last = { _tag: "Choice", at: rename(s.at), name: s.name, branches: s.branches.map((b) => [b.label, fromSteps(b.steps, rename)] as const) }
        break
      case "Loop":
        last = s.forever === true
          ? { _tag: "Loop", name: s.name, body: fromSteps(s.body, rename), forever: true }
          : { _tag: "Loop", name: s.name, body: fromSteps(s.body, rename) }
        break
      case "Repeat":
        last = { _tag: "Repeat", param: s.param, body: fromSteps(s.body, rename) }
        break
      case "Parallel":
        last = { _tag: "Parallel", branches: s.branches.map((b) => fromSteps(b, rename)) }
        break
      case "Recur":
        last = { _tag: "Recur", name: s.name }
        break
      case "End":
        last = { _tag: "End" }
        break
      case "Timeout":
        last = { _tag: "Timeout", at: rename(s.at), name: s.name, duration: s.duration, body: fromSteps(s.body, rename), fallback: fromSteps(s.fallback, rename) }
        break
      case "Saga":
        last = { _tag: "Saga", owner: rename(s.owner), name: s.name, forward: fromSteps(s.forward, rename), compensate: fromSteps(s.compensate, rename) }
        break
      case "Compose":
        last = {
          _tag: "Compose",
          protocol: s.protocol,
          mapping: Object.fromEntries(Object.entries(s.mapping).map(([k, v]) => [k, rename(v)])),
          body: fromSteps(s.steps, rename),
          messages: {}
        }
        break
    }
    seq = { last, init: seq }
  }
  return seq
}

/** Every role of the sub-protocol is mapped, to distinct roles. */
const checkMapping = (sub: Any, mapping: Record<string, string>) => {
  const missing = sub.roles.filter((r) => own(mapping, r) === undefined)
  const targets = sub.roles.map((r) => own(mapping, r) ?? "")
  const twice = targets.filter((t, i) => t !== "" && targets.indexOf(t) !== i)
  if (missing.length > 0 || twice.length > 0) {
    throw new ProjectionError({
      protocol: sub.name,
      rule: "BadRoleMapping",
      sites: [],
      message: Msg.badRoleMapping(sub.name, missing, twice)
    })
  }
}

/** Whether a value holds a function anywhere (a filter, a transformation): then only identity tells two apart. */
const holdsFunction = (value: unknown, seen = new Set<unknown>()): boolean => {
  if (typeof value === "function") return true
  if (typeof value !== "object" || value === null || seen.has(value)) return false
  seen.add(value)
  return Object.values(value).some((v) => holdsFunction(v, seen))
}

/**
 * Two schemas of one label agree when they are the same value, or when their ASTs are equal
 * and hold no functions (two `Schema.Struct({})` written apart agree; two filters do not).
 */
const sameSchema = (a: Schema.Schema.AnyNoContext, b: Schema.Schema.AnyNoContext): boolean =>
  a === b || (!holdsFunction(a.ast) && !holdsFunction(b.ast) && JSON.stringify(a.ast) === JSON.stringify(b.ast))

/** The catalogue of a protocol with the catalogues of everything it composes. */
const mergeCatalogues = (protocol: string, declared: Catalogue, raw: RawSeq): Catalogue => {
  const merged: Record<string, Schema.Schema.AnyNoContext> = { ...declared }
  const visit = (seq: RawSeq) => {
    for (let s = seq; s !== undefined; s = s.init) {
      const step = s.last
      if (step._tag === "Choice") for (const [, b] of step.branches) visit(b)
      if (step._tag === "Loop" || step._tag === "Repeat" || step._tag === "Each") visit(step.body)
      if (step._tag === "Parallel") for (const b of step.branches) visit(b)
      if (step._tag === "Timeout") {
        visit(step.body)
        visit(step.fallback)
      }
      if (step._tag === "Saga") {
        visit(step.forward)
        visit(step.compensate)
      }
      if (step._tag === "Compose") {
        for (const [label, schema] of Object.entries(step.messages)) {
          const mine = own(merged, label)
          if (mine !== undefined && !sameSchema(mine, schema)) {
            throw new ProjectionError({
              protocol,
              rule: "CatalogueConflict",
              sites: [],
              message: Msg.catalogueConflict(protocol, label, step.protocol, String(mine), String(schema))
            })
          }
          setOwn(merged, label, schema)
        }
        visit(step.body)
      }
    }
  }
  visit(raw)
  return merged
}

const toArray = (seq: RawSeq): Array<Raw> => {
  const out: Array<Raw> = []
  for (let s = seq; s !== undefined; s = s.init) out.push(s.last)
  return out.reverse()
}

const fromArray = (steps: ReadonlyArray<Raw>): RawSeq => steps.reduce((init: RawSeq, last) => ({ last, init }), undefined)

/** The name of member `i` of `family` in an expanded protocol: `Bidder[0]`. */
const memberName = (family: string, i: number): string => `${family}[${i}]`

/**
 * The raw steps of a protocol with families, for `sizes` members of each: a `forEach` (and so
 * a `broadcast` to or a `gather` from a family) becomes a block of one copy of its body per
 * member, with the family's name renamed to the member's (`Bidder[i]`), in sequence (a block
 * per member, so that member i's steps are at sites `<site>.<i>.*` whatever the size) or as the
 * branches of a parallel; an `exchange` becomes a parallel of one message per ordered pair of
 * members. Checks the rules of families on the way: a family's name where one role belongs,
 * a name that is not a family where one does, `end()` or a `recur` out of a `forEach` body.
 */
const expandRaw = (
  protocol: string,
  families: ReadonlySet<string>,
  sizes: Readonly<Record<string, number>>,
  raw: RawSeq,
  /** The families whose `forEach` encloses this point, with the member standing for each. */
  scope: ReadonlyMap<string, string>,
  /** Inside a `forEach` body: its family and the loops declared inside the body so far. */
  inEach: { readonly family: string; readonly loops: ReadonlyArray<string> } | undefined
): RawSeq => {
  const fail = (message: string): never => {
    throw new ProjectionError({ protocol, rule: "FamilyMisuse", sites: [], message })
  }
  const role = (r: string, where: string): string => {
    const member = scope.get(r)
    if (member !== undefined) return member
    if (families.has(r)) fail(Msg.familyAsRole(protocol, r, where))
    return r
  }
  const size = (f: string, where: string): number => {
    if (!families.has(f) || scope.has(f)) fail(Msg.notAFamily(protocol, f, where))
    return sizes[f]
  }
  const again = (seq: RawSeq, loops?: ReadonlyArray<string>) =>
    expandRaw(protocol, families, sizes, seq, scope, inEach === undefined || loops === undefined ? inEach : { ...inEach, loops })
  const block = (name: string, body: ReadonlyArray<Raw>): Raw => ({ _tag: "Compose", protocol: name, mapping: {}, body: fromArray(body), messages: {} })
  return fromArray(toArray(raw).map((step): Raw => {
    switch (step._tag) {
      case "Msg": {
        const where = `${step.from} -> ${step.to}: ${step.label}`
        return { ...step, from: role(step.from, where), to: role(step.to, where) }
      }
      case "Choice":
        return {
          ...step,
          at: role(step.at, `choice '${step.name}'`),
          branches: step.branches.map(([label, b]) => [label, again(b)] as const)
        }
      case "Loop":
        return { ...step, body: again(step.body, inEach === undefined ? undefined : [...inEach.loops, step.name]) }
      case "Repeat":
        return { ...step, body: again(step.body, inEach === undefined ? undefined : [...inEach.loops, step.param]) }
      case "Parallel":
        return { ...step, branches: step.branches.map((b) => again(b)) }
      case "Recur":
        if (inEach !== undefined && !inEach.loops.includes(step.name)) fail(Msg.recurOutOfForEach(protocol, step.name, inEach.family))
        return step
      case "End":
        if (inEach !== undefined) fail(Msg.endInForEach(protocol, inEach.family))
        return step
      case "Timeout":
        return { ...step, at: role(step.at, `timeout '${step.name}'`), body: again(step.body), fallback: again(step.fallback) }
      case "Saga":
        return { ...step, owner: role(step.owner, `saga '${step.name}'`), forward: again(step.forward), compensate: again(step.compensate) }
      case "Compose":
        return {
          ...step,
          mapping: Object.fromEntries(Object.entries(step.mapping).map(([k, v]) => [k, role(v, `compose ${step.protocol}`)])),
          body: again(step.body)
        }
      case "Each": {
        const n = size(step.family, `forEach '${step.family}'`)
        const bodies = Array.from({ length: n }, (_, i) =>
          expandRaw(protocol, families, sizes, step.body, new Map([...scope, [step.family, memberName(step.family, i)]]), { family: step.family, loops: [] }))
        return step.parallel
          ? { _tag: "Parallel", branches: bodies }
          : block(`forEach ${step.family}`, bodies.map((b, i) => block(memberName(step.family, i), toArray(b))))
      }
      case "Exchange": {
        const n = size(step.family, `exchange('${step.family}', ${step.label})`)
        const pairs: Array<RawSeq> = []
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            if (i !== j) pairs.push(fromArray([{ _tag: "Msg", from: memberName(step.family, i), to: memberName(step.family, j), label: step.label }]))
          }
        }
        // One member has no one to exchange with: nothing happens.
        return pairs.length === 0 ? block(`exchange ${step.family}`, []) : { _tag: "Parallel", branches: pairs }
      }
    }
  }))
}

/**
 * Gives sites to the raw steps and checks the rules that need no projection: declared roles,
 * no self-messages, known labels, `recur` inside its loop, no step after `recur`/`end`.
 */
const assignSites = (
  protocol: string,
  roles: ReadonlySet<string>,
  labels: ReadonlySet<string>,
  raw: RawSeq,
  prefix: string,
  loops: ReadonlyArray<string>,
  /**
   * The names of the loops and repeats enclosing this point, up to the nearest parallel
   * branch: a loop or repeat may not take one of them (a repeat is no barrier to names).
   */
  taken: ReadonlyArray<string>,
  /** The loops outside the nearest enclosing parallel branch, repeat or timeout, which cannot be recurred to from here. */
  cut?: { readonly loops: ReadonlyArray<string>; readonly site: string; readonly what: "parallel" | "repeat" | "timeout" | "saga" }
): Array<Step> => {
  const steps = toArray(raw)
  const site = (i: number) => (prefix === "" ? `${i}` : `${prefix}.${i}`)
  const fail = (rule: ProjectionError["rule"], message: string, s: string, role?: string) => {
    throw new ProjectionError({ protocol, rule, role, sites: [s], message })
  }
  const role = (r: string, s: string) => {
    if (!roles.has(r)) fail("UndeclaredRole", Msg.undeclaredRole(protocol, r, s, [...roles]), s, r)
  }
  return steps.map((step, i): Step => {
    const s = site(i)
    if (i > 0) {
      const prev = steps[i - 1]
      if (prev._tag === "Recur" || prev._tag === "End") {
        fail("StepAfterEnd", Msg.stepAfterEnd(protocol, prev._tag === "End" ? "end()" : `recur('${prev.name}')`, site(i - 1)), s)
      }
      if (prev._tag === "Loop" && prev.forever === true && !falls(prev.body)) {
        fail("StepAfterEnd", Msg.stepAfterForever(protocol, prev.name, site(i - 1)), s)
      }
    }
    switch (step._tag) {
      case "Msg":
        role(step.from, s)
        role(step.to, s)
        if (step.from === step.to) fail("SelfMessage", Msg.selfMessage(protocol, step.from, step.label, s), s, step.from)
        if (!labels.has(step.label)) fail("UnknownLabel", Msg.unknownLabel(protocol, step.label, s, [...labels]), s)
        return { _tag: "Msg", site: s, from: step.from, to: step.to, label: step.label }
      case "Choice":
        role(step.at, s)
        if (step.branches.length === 0) fail("EmptyChoice", Msg.emptyChoice(protocol, step.name, s), s)
        return {
          _tag: "Choice",
          site: s,
          at: step.at,
          name: step.name,
          branches: step.branches.map(([label, seq]) => ({
            label,
            steps: assignSites(protocol, roles, labels, seq, `${s}.${label}`, loops, taken, cut)
          }))
        }
      case "Loop":
        if (taken.includes(step.name)) fail("DuplicateLoopName", Msg.duplicateLoopName(protocol, step.name, s), s)
        return {
          _tag: "Loop",
          site: s,
          name: step.name,
          body: assignSites(protocol, roles, labels, step.body, s, [...loops, step.name], [...taken, step.name], cut),
          ...(step.forever === true ? { forever: true as const } : {})
        }
      case "Parallel": {
        if (step.branches.length === 0) fail("EmptyChoice", Msg.emptyParallel(protocol, s), s)
        const branches = step.branches.map((b, j) => assignSites(protocol, roles, labels, b, `${s}.${j}`, [], [], { loops: [...(cut?.loops ?? []), ...loops], site: s, what: "parallel" }))
        const ends = branches.flatMap((b) => ends_(b))
        if (ends.length > 0) fail("EndInParallel", Msg.endInParallel(protocol, ends[0], s), ends[0])
        return { _tag: "Parallel", site: s, branches }
      }
      case "Repeat": {
        if (taken.includes(step.param)) fail("DuplicateLoopName", Msg.duplicateLoopName(protocol, step.param, s), s)
        // A round cannot recur to an enclosing loop, nor end the protocol while some role takes
        // no part in the rounds: that role goes straight on and would wait forever.
        const body = assignSites(protocol, roles, labels, step.body, s, [], [...taken, step.param], { loops: [...(cut?.loops ?? []), ...loops], site: s, what: "repeat" })
        const ends = ends_(body)
        const inRounds = rolesIn(body)
        const outside = [...roles].filter((r) => !inRounds.has(r))
        if (ends.length > 0 && outside.length > 0) fail("EndInRepeat", Msg.endInRepeat(protocol, ends[0], s, outside), ends[0])
        return { _tag: "Repeat", site: s, param: step.param, body }
      }
      case "Timeout": {
        role(step.at, s)
        if (!Number.isFinite(step.duration) || step.duration < 0) {
          fail("BadDuration", Msg.badDuration(protocol, step.name, s, String(step.duration)), s, step.at)
        }
        // Like a parallel branch, the body and the fallback cannot recur out nor end the protocol.
        const inner = { loops: [...(cut?.loops ?? []), ...loops], site: s, what: "timeout" as const }
        const body = assignSites(protocol, roles, labels, step.body, `${s}.body`, [], taken, inner)
        const fallback = assignSites(protocol, roles, labels, step.fallback, `${s}.fallback`, [], taken, inner)
        const ends = [...ends_(body), ...ends_(fallback)]
        if (ends.length > 0) fail("EndInTimeout", Msg.endInTimeout(protocol, ends[0], s), ends[0])
        if (!rolesIn(body).has(step.at)) fail("TimeoutNotRaced", Msg.timeoutNotRaced(protocol, step.name, step.at, s), s, step.at)
        return { _tag: "Timeout", site: s, at: step.at, name: step.name, duration: step.duration, body, fallback }
      }
      case "Saga": {
        role(step.owner, s)
        const inner = { loops: [...(cut?.loops ?? []), ...loops], site: s, what: "saga" as const }
        const forward = assignSites(protocol, roles, labels, step.forward, `${s}.forward`, [], taken, inner)
        const compensate = assignSites(protocol, roles, labels, step.compensate, `${s}.compensate`, [], taken, inner)
        const ends = [...ends_(forward), ...ends_(compensate)]
        if (ends.length > 0) fail("EndInSaga", Msg.endInSaga(protocol, ends[0], s), ends[0])
        return { _tag: "Saga", site: s, owner: step.owner, name: step.name, forward, compensate }
      }
      case "Recur":
        if (!loops.includes(step.name)) {
          if (cut !== undefined && cut.loops.includes(step.name)) {
            fail("RecurAcrossBarrier", Msg.recurAcrossBarrier(protocol, step.name, s, cut.what, cut.site), s)
          }
          fail("RecurOutsideLoop", Msg.recurOutsideLoop(protocol, step.name, s), s)
        }
        return { _tag: "Recur", site: s, name: step.name }
      case "End":
        return { _tag: "End", site: s }
      case "Each":
      case "Exchange":
        // Expanded before sites are given (see expandRaw); reached only through a bug.
        throw new Error(`internal: ${step._tag} over ${step.family} was not expanded`)
      case "Compose":
        // Every role the sub-protocol is mapped onto must be declared, even one that never acts.
        for (const target of Object.values(step.mapping)) role(target, s)
        return {
          _tag: "Compose",
          site: s,
          protocol: step.protocol,
          mapping: step.mapping,
          steps: assignSites(protocol, roles, labels, step.body, s, loops, taken, cut)
        }
    }
  })
}

/**
 * Whether some path through `seq` may reach its end (neither recurs nor ends on the way): the
 * run-time twin of `Falls` in src/session/Local.ts, with the same over-approximation (a
 * composed protocol, a parallel, a repeat, a timeout and a saga count as falling through),
 * so that both reject the same steps after a `forever` loop.
 */
const falls = (seq: RawSeq): boolean =>
  toArray(seq).every((step): boolean => {
    switch (step._tag) {
      case "Recur":
      case "End":
        return false
      case "Choice":
        return step.branches.length === 0 || step.branches.some(([, b]) => falls(b))
      case "Loop":
        return falls(step.body)
      default:
        return true
    }
  })

/** The sites of the `end()`s in some steps (a parallel branch may not end the protocol). */
const ends_ = (steps: ReadonlyArray<Step>): Array<string> =>
  steps.flatMap((s): Array<string> => {
    switch (s._tag) {
      case "End":
        return [s.site]
      case "Choice":
        return s.branches.flatMap((b) => ends_(b.steps))
      case "Loop":
      case "Repeat":
        return ends_(s.body)
      case "Compose":
        return ends_(s.steps)
      case "Parallel":
        return s.branches.flatMap(ends_)
      case "Timeout":
        return [...ends_(s.body), ...ends_(s.fallback)]
      case "Saga":
        return [...ends_(s.forward), ...ends_(s.compensate)]
      default:
        return []
    }
  })

/**
 * The declaration's values are usable, whatever a JavaScript caller passed: roles are names
 * (non-empty strings, bounded, no NUL: mailboxes are keyed by them), every catalogue entry is
 * a Schema, and no label takes the `~` that the layers' own frames use (`~ack ...`).
 */
const checkDeclaration = (protocol: string, spec: { readonly roles: unknown; readonly messages: unknown }): void => {
  const fail = (rule: "InvalidRole" | "InvalidMessage", message: string, role?: string) => {
    throw new ProjectionError({ protocol, rule, role, sites: [], message })
  }
  if (!Array.isArray(spec.roles)) fail("InvalidRole", Msg.invalidRole(protocol, "list", "is not an array of roles"))
  for (const r of spec.roles as ReadonlyArray<unknown>) {
    if (typeof r !== "string") fail("InvalidRole", Msg.invalidRole(protocol, preview(r, 1), "is not a string"))
    const role = r as string
    const why = role === "" ? "is empty" : role.length > maxNameLength ? `is ${role.length} characters long` : role.includes("\u0000") ? "holds a NUL character" : undefined
    if (why !== undefined) fail("InvalidRole", Msg.invalidRole(protocol, `'${clip(role, 60)}'`, why), role)
  }
  const messages = spec.messages
  if (typeof messages !== "object" || messages === null) fail("InvalidMessage", Msg.invalidMessage(protocol, "catalogue", "is not an object of Schemas"))
  for (const [label, schema] of Object.entries(messages as object)) {
    if (!Schema.isSchema(schema)) fail("InvalidMessage", Msg.invalidMessage(protocol, `'${clip(label, 60)}'`, `has ${preview(schema, 1)} where a Schema belongs`))
    if (label.startsWith("~")) fail("InvalidMessage", Msg.invalidMessage(protocol, `'${clip(label, 60)}'`, "begins with '~', which is kept for the layers' own frames (the reliable layer's acks)"))
    if (label === "" || label.length > maxNameLength) fail("InvalidMessage", Msg.invalidMessage(protocol, `'${clip(label, 60)}'`, "needs a non-empty label of at most 1024 characters"))
  }
}

/**
 * Builds a global protocol, checks it and compiles it. Throws a `ProjectionError` that names
 * the protocol, the role, the branches and the sites when the protocol is not well formed;
 * `makeEither` returns it instead.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * assert.strictEqual(Protocol.formatLocal(Protocol.project(PingPong, "A")), "Send(B, Ping).Recv(B, Pong).End")
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <
  const Name extends string,
  const R extends string,
  const M extends Catalogue,
  G = NotInferred,
  Ms = M,
  const F extends string = never
>(
  name: Name & WellFormed<Protocol<Name, R | F, Ms extends Catalogue ? Ms : M, G, F>>,
  spec: Spec<R, M, F>,
  body: (g: Builder<R, M, never, Nil, F>) => Built<G, Ms>
): Checked<Protocol<Name, R | F, Ms extends Catalogue ? Ms : M, G, F>> => Either.getOrThrowWith(makeEither(name, spec, body), (e) => e) as never

/**
 * What `Protocol.make` is given besides the name and the body: the roles, the message
 * catalogue, and the families of roles (optional): each is a name that stands for any one of
 * a number of members, a session parameter of that name.
 *
 * @category models
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 *
 * const spec = { roles: ["Host"], families: ["Voter"], messages: { Ask: Schema.String, Vote: Schema.Boolean } } satisfies Protocol.Spec<"Host", { Ask: typeof Schema.String; Vote: typeof Schema.Boolean }, "Voter">
 * const Poll = Protocol.make("Poll", spec, (g) => g.broadcast("Host", "Voter", "Ask").gather("Voter", "Host", "Vote"))
 * assert.deepStrictEqual(Poll.families, ["Voter"])
 * ```
 *
 * @since 0.1.0
 */
export interface Spec<R extends string, M extends Catalogue, F extends string = never> {
  readonly roles: ReadonlyArray<R>
  readonly messages: M
  readonly families?: ReadonlyArray<F> | undefined
}

/** The sizes at which `Protocol.make` checks a protocol with families: the rules of a size are met by each of these. */
const checkedSizes = [2, 3]

/**
 * The global type of a `Protocol.make` call that did not compile (TypeScript then infers
 * nothing from its body).
 *
 * @internal
 */
export interface NotInferred {
  readonly "~not-inferred": true
}

/**
 * What the name of an ill-formed protocol must be, for `Protocol.make`: nothing a string is,
 * so that the call does not compile, and the error says why in the run-time words.
 *
 * @category type-level
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 *
 * // Not called: `Protocol.make` would throw the ProjectionError that the compiler reports.
 * const blind = () =>
 *   // @ts-expect-error the name's type says why: B does not know whether A chose `right`
 *   Protocol.make("Blind", {
 *     roles: ["A", "B", "C"],
 *     messages: { X: Schema.Number, Y: Schema.Number }
 *   }, (g) =>
 *     g.choice("A", "pick", {
 *       left: (b) => b.msg("A", "C", "X"),
 *       right: (b) => b.msg("A", "C", "X").msg("B", "C", "Y")
 *     }))
 * ```
 *
 * @since 0.1.0
 */
export interface IllFormedProtocol<out Reason extends string> {
  readonly "~ill-formed": Reason
}

/**
 * `unknown` for a well-formed protocol; for an ill-formed one, `IllFormedProtocol` of why.
 * Also `unknown` when the reason is not a literal (it holds a `${string}`): the body has a type
 * error of its own, which left `string` in the global type, and that error is the one to read.
 *
 * @category type-level
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * // `unknown`: nothing to complain about.
 * const ok: unknown extends Protocol.WellFormed<typeof PingPong> ? true : false = true
 * assert.strictEqual(ok, true)
 * ```
 *
 * @since 0.1.0
 */
export type WellFormed<P> = IllFormedReason<P> extends infer Reason extends string
  ? [Reason] extends [never] ? unknown : NotLiteral<Reason> extends true ? unknown : IllFormedProtocol<Reason>
  : unknown

/**
 * What `Protocol.make` gives: the protocol, or, when it is ill-formed, an `IllFormed` of why,
 * which no `Role.implement`, `Role.program` or `Session.run` takes.
 *
 * @category type-level
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * // A well-formed protocol checks to itself.
 * const same: typeof PingPong extends Protocol.Protocol<"PingPong", "A" | "B"> ? true : false = true
 * assert.strictEqual(same, true)
 * ```
 *
 * @since 0.1.0
 */
export type Checked<P> = P extends Protocol<string, string, Catalogue, infer G, string>
  // A call of `make` that does not compile gives its protocol no global type: no use of it may compile either.
  ? 0 extends 1 & G ? P // a body typed `any`: no type-level protocol to check
  : [G] extends [NotInferred] ? IllFormed<"the protocol does not compile: see the error at its Protocol.make", P>
  : [IllFormedReason<P>] extends [never] ? P
  : NotLiteral<IllFormedReason<P>> extends true ? IllFormed<"the protocol does not compile: see the error at its Protocol.make", P>
  : IllFormed<IllFormedReason<P>, P>
  : P

/**
 * An ill-formed protocol, as `Protocol.make` types it: `Reason` says why (the run-time
 * `ProjectionError`'s words); `Local` still projects the protocol `P` it would have been.
 *
 * @category type-level
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 *
 * // Not called: `Protocol.make` would throw the ProjectionError that the compiler reports.
 * const blind = () =>
 *   // @ts-expect-error the name's type says why: B does not know whether A chose `right`
 *   Protocol.make("Blind", {
 *     roles: ["A", "B", "C"],
 *     messages: { X: Schema.Number, Y: Schema.Number }
 *   }, (g) =>
 *     g.choice("A", "pick", {
 *       left: (b) => b.msg("A", "C", "X"),
 *       right: (b) => b.msg("A", "C", "X").msg("B", "C", "Y")
 *     }))
 *
 * // What it returns is typed `IllFormed<reason, P>`, which no `Role.implement` or `Session.run` takes.
 * const illFormed: ReturnType<typeof blind> extends Protocol.IllFormed<string, unknown> ? true : false = true
 * assert.strictEqual(illFormed, true)
 * ```
 *
 * @since 0.1.0
 */
export interface IllFormed<out Reason extends string, out P> {
  readonly "~ill-formed": Reason
  readonly "~protocol": P
}

/**
 * Like `make`, but returns the `ProjectionError` instead of throwing it.
 *
 * @category constructors
 *
 * @example
 * ```ts
 * import { Either, Schema } from "effect"
 * import { Protocol } from "quadrille"
 *
 * const result = Protocol.makeEither("Dup", {
 *   roles: ["A", "B", "A"],
 *   messages: { Ping: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping"))
 *
 * assert.strictEqual(Either.isLeft(result), true)
 * if (Either.isLeft(result)) assert.strictEqual(result.left.rule, "DuplicateRole")
 * ```
 *
 * @since 0.1.0
 */
export const makeEither = <
  const Name extends string,
  const R extends string,
  const M extends Catalogue,
  G,
  Ms = M,
  const F extends string = never
>(
  name: Name,
  spec: Spec<R, M, F>,
  body: (g: Builder<R, M, never, Nil, F>) => Built<G, Ms>
): Either.Either<Protocol<Name, R | F, Ms extends Catalogue ? Ms : M, G, F>, ProjectionError> => {
  try {
    checkDeclaration(name, spec)
    const families: ReadonlyArray<F> = spec.families ?? []
    const roles = new Set<string>()
    for (const r of [...spec.roles, ...families]) {
      if (roles.has(r)) {
        throw new ProjectionError({
          protocol: name,
          rule: "DuplicateRole",
          role: r,
          sites: [],
          message: Msg.duplicateRole(name, r)
        })
      }
      roles.add(r)
    }
    // The one cast between the precise public builder type and its loosely typed implementation.
    const built = body(empty as unknown as Builder<R, M, never, Nil, F>) as unknown
    const raw = seqOf(built, `protocol ${name}`)
    const messages = mergeCatalogues(name, spec.messages, raw)
    if (families.length > 0) return Either.right(familyProtocol(name, spec.roles, families, messages, raw) as never)
    const steps = assignSites(name, roles, new Set(Object.keys(messages)), raw, "", [], [])
    const graph = compile(name, spec.roles, steps)
    return Either.right({
      "~global": undefined as G,
      name,
      roles: spec.roles,
      // The whole catalogue, with that of every composed protocol.
      messages: messages as Ms extends Catalogue ? Ms : M,
      families: [],
      steps,
      "~graph": graph
    })
  } catch (e) {
    if (e instanceof ProjectionError) return Either.left(e)
    throw e
  }
}

/**
 * A protocol with families. Its steps and graph exist only for given sizes (`expand`, cached
 * per size), so `steps` and `"~graph"` throw, with a sentence saying so; `Protocol.make`
 * checks the expansions at 2 and 3 members of every family.
 */
const familyProtocol = (
  name: string,
  fixed: ReadonlyArray<string>,
  families: ReadonlyArray<string>,
  messages: Catalogue,
  raw: RawSeq
): Any => {
  const set = new Set(families)
  const labels = new Set(Object.keys(messages))
  const cache = new Map<string, Any>()
  const expandTo = (sizes: Readonly<Record<string, number>>): Any => {
    for (const f of families) {
      const n = own(sizes, f)
      if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 1) {
        throw new ProjectionError({ protocol: name, rule: "FamilyMisuse", sites: [], message: Msg.badFamilySize(name, f, n) })
      }
    }
    const key = families.map((f) => sizes[f]).join(",")
    const cached = cache.get(key)
    if (cached !== undefined) return cached
    const roles = [...fixed, ...families.flatMap((f) => Array.from({ length: sizes[f] }, (_, i) => memberName(f, i)))]
    const steps = assignSites(name, new Set(roles), labels, expandRaw(name, set, sizes, raw, new Map(), undefined), "", [], [])
    const expanded: Any = { "~global": undefined, name, roles, families: [], messages, steps, "~graph": compile(name, roles, steps) }
    cache.set(key, expanded)
    return expanded
  }
  for (const n of checkedSizes) expandTo(Object.fromEntries(families.map((f) => [f, n])))
  const notExpanded = (): never => {
    throw new ProjectionError({ protocol: name, rule: "FamilyMisuse", sites: [], message: Msg.familyNotExpanded(name, families) })
  }
  const p = { "~global": undefined, name, roles: [...fixed, ...families], families, messages }
  Object.defineProperty(p, "steps", { get: notExpanded, enumerable: false })
  Object.defineProperty(p, "~graph", { get: notExpanded, enumerable: false })
  Object.defineProperty(p, "~expand", { value: expandTo, enumerable: false })
  return p as unknown as Any
}

/**
 * The protocol with the members of each family as roles, for `sizes` members (the session
 * parameters of the families' names): member i of family `Bidder` is the role `Bidder[i]`. A
 * protocol without families is returned as it is. What `Session.run` runs; give the result
 * to `Trace.validate`, `Mermaid`, `Check.model` and `Role.run` (one member at a time).
 * Cached per size.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 *
 * const Auction = Protocol.make("Auction", { roles: ["Auctioneer"], families: ["Bidder"], messages: { Bid: Schema.Number } }, (g) =>
 *   g.gather("Bidder", "Auctioneer", "Bid"))
 * const three = Protocol.expand(Auction, { Bidder: 3 })
 * assert.deepStrictEqual(three.roles, ["Auctioneer", "Bidder[0]", "Bidder[1]", "Bidder[2]"])
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const expand = <P extends Any>(
  protocol: P,
  sizes: { readonly [F in Families<P>]: number }
): Protocol<P["name"], string, Messages<P>, unknown, never> => {
  const f = (protocol as { readonly "~expand"?: (sizes: Readonly<Record<string, number>>) => Any })["~expand"]
  return (f === undefined ? protocol : f(sizes)) as never
}

/**
 * The family a role of an expanded protocol is a member of (`Bidder` for `Bidder[2]`), and its index.
 *
 * @internal
 */
export const memberOf = (protocol: Any, role: string): { readonly family: string; readonly index: number } | undefined => {
  const m = /^(.*)\[(\d+)\]$/.exec(role)
  return m !== null && protocol.families.includes(m[1]) ? { family: m[1], index: Number(m[2]) } : undefined
}

/**
 * Describes a step in words, for error messages and diagrams.
 *
 * @category utils
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * assert.deepStrictEqual(PingPong.steps.map(Protocol.describe), ["A -> B: Ping", "B -> A: Pong"])
 * ```
 *
 * @since 0.1.0
 */
export const describe = (step: Step): string => {
  switch (step._tag) {
    case "Msg":
      return `${step.from} -> ${step.to}: ${step.label}`
    case "Choice":
      return `choice '${step.name}' at ${step.at}`
    case "Loop":
      return step.forever === true ? `forever '${step.name}'` : `loop '${step.name}'`
    case "Repeat":
      return `repeat '${step.param}'`
    case "Parallel":
      return `parallel (${step.branches.length} branches)`
    case "Recur":
      return `recur('${step.name}')`
    case "End":
      return "end()"
    case "Timeout":
      return `timeout '${step.name}' at ${step.at} (${step.duration} ms)`
    case "Saga":
      return `saga '${step.name}' owned by ${step.owner}`
    case "Compose":
      return `compose ${step.protocol}(${Object.entries(step.mapping).map(([k, v]) => `${k}: ${v}`).join(", ")})`
  }
}
