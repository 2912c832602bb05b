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

/** `From -> To: Label`, with the payload type of `Label`. @category global types */
export interface GMsg<From extends string, To extends string, Label extends string, Payload = unknown> {
  readonly _tag: "Msg"
  readonly from: From
  readonly to: To
  readonly label: Label
  readonly payload: Payload
}

/** A choice made by `At`, its branches by name, each a sequence. @category global types */
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

type Lookup<Map, K> = K extends keyof Map ? Map[K] & string : K & string

/**
 * Global type `G` with its roles renamed by `Map` (sub-protocol role to role). Each level is
 * an interface type argument, so the renaming is done lazily, as projection walks it.
 *
 * @category global types
 */
export type Renamed<G, Map> = G extends Then<infer Init, infer Last> ? Then<Renamed<Init, Map>, RenamedStep<Last, Map>>
  : G

type RenamedStep<S, Map> = S extends GMsg<infer F, infer T, infer L, infer P> ? GMsg<Lookup<Map, F>, Lookup<Map, T>, L, P>
  : S extends GChoice<infer At, infer N, infer B> ? GChoice<Lookup<Map, At>, N, { readonly [K in keyof B]: Renamed<B[K], Map> }>
  : S extends GLoop<infer N, infer Body> ? GLoop<N, Renamed<Body, Map>>
  : S extends GBlock<infer N, infer Body> ? GBlock<N, Renamed<Body, Map>>
  : S extends GRounds<infer N, infer Again> ? GRounds<N, Renamed<Again, Map>>
  : S extends GPar<infer B> ? GPar<{ readonly [K in keyof B]: Renamed<B[K], Map> }>
  : S

/**
 * One message from `From` to each of `To`, in order.
 *
 * @category global types
 */
export type Broadcast<From extends string, To, Label extends string, Payload, Acc = Nil> = To extends
  readonly [infer H extends string, ...infer Rest] ? Broadcast<From, Rest, Label, Payload, Then<Acc, GMsg<From, H, Label, Payload>>>
  : Acc

/**
 * The roles that act anywhere in global type `G` (tail-recursive along each sequence).
 *
 * @category global types
 */
export type RolesIn<G, Acc = never> = G extends Then<infer Init, infer Last> ? RolesIn<Init, Acc | RolesOfStep<Last>> : Acc

type RolesOfStep<S> = S extends GMsg<infer F, infer T, string, unknown> ? F | T
  : S extends GChoice<infer At, string, infer B> ? At | { [K in keyof B]: RolesIn<B[K]> }[keyof B]
  : S extends GLoop<string, infer Body> ? RolesIn<Body>
  : S extends GBlock<string, infer Body> ? RolesIn<Body>
  : S extends GRounds<string, infer Again> ? RolesIn<Again>
  : S extends GPar<infer B> ? { [K in keyof B]: RolesIn<B[K]> }[number & keyof B]
  : never
