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

/** `From -> To: Label`. @category global types */
export interface GMsg<From extends string, To extends string, Label extends string> {
  readonly _tag: "Msg"
  readonly from: From
  readonly to: To
  readonly label: Label
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

/** Go round loop `Name` again. @category global types */
export interface GRecur<Name extends string> {
  readonly _tag: "Recur"
  readonly name: Name
}

/** The protocol ends here, whatever encloses this point. @category global types */
export interface GEnd {
  readonly _tag: "End"
}
