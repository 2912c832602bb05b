/**
 * The global session type as TypeScript types. The builder of `Protocol.make` accumulates
 * one of these per step, newest step outermost (`Then<Previous, Step>`), so that each call
 * does a constant amount of type work. Projection (`Local<P, Role>`) reads them.
 *
 * @since 0.1.0
 */

/** The empty sequence. @category global types */
export interface Nil {
  readonly _tag: "Nil"
}

/** A sequence: `Init` followed by `Last`. @category global types */
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
 */
export interface GBranch<Label extends string, Seq> {
  readonly label: Label
  readonly seq: Seq
}

/** A choice made by `At`; `Branches` is a union of `GBranch`es. @category global types */
export interface GChoice<At extends string, Name extends string, Branches> {
  readonly _tag: "Choice"
  readonly at: At
  readonly name: Name
  readonly branches: Branches
}

/** A loop named `Name`; its body goes round again at `GRecur<Name>`. @category global types */
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
 */
export interface GForever<Name extends string, Body> extends GLoop<Name, Body> {
  readonly forever: true
}

/**
 * The round check of `repeat(Param, body)`: every role that takes part in `Again` goes round
 * while fewer than `Param` rounds are done (a session parameter), then leaves the loop.
 *
 * @category global types
 */
export interface GRounds<Param extends string, Again> {
  readonly _tag: "Rounds"
  readonly param: Param
  readonly again: Again
}

/** Branches (a tuple of sequences) that run concurrently, then what follows. @category global types */
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
 */
export interface GSaga<Owner extends string, Name extends string, Forward, Compensate> {
  readonly _tag: "Saga"
  readonly owner: Owner
  readonly name: Name
  readonly forward: Forward
  readonly compensate: Compensate
}

/** Go round loop `Name` again. @category global types */
export interface GRecur<Name extends string> {
  readonly _tag: "Recur"
  readonly name: Name
}

/** The protocol ends here, whatever encloses this point. @category global types */
export interface GEnd {
  readonly _tag: "End"
}

/**
 * A sequence inlined as one step: a composed sub-protocol (its roles already renamed) or a
 * broadcast. `Name` is the sub-protocol's name, for reading.
 *
 * @category global types
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
 */
export type Broadcast<From extends string, To, Label extends string, Acc = Nil> = To extends
  readonly [infer H extends string, ...infer Rest] ? Broadcast<From, Rest, Label, Then<Acc, GMsg<From, H, Label>>>
  : Acc

/**
 * The roles that act anywhere in global type `G` (tail-recursive along each sequence).
 *
 * @category global types
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
