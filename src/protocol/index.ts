/**
 * The `Protocol` namespace: build, check, project and describe global protocols.
 *
 * @since 0.1.0
 */
import { fromAutomaton, type LocalType } from "../runtime/local.js"
import * as Mermaid from "../viz/Mermaid.js"
import type { Any } from "./Protocol.js"

export * from "./Protocol.js"
export type { LocalType } from "../runtime/local.js"
export { format as formatLocal } from "../runtime/local.js"

/**
 * The local type of `role` as data: what the role sends, receives, chooses and offers, in
 * order, with loops as `Rec`/`Var`.
 *
 * @category projection
 */
export const project = <P extends Any>(protocol: P, role: P["roles"][number]): LocalType => {
  const a = protocol["~graph"].locals.get(role)
  if (a === undefined) throw new TypeError(`protocol ${protocol.name} has no role ${role}`)
  return fromAutomaton(a)
}

/**
 * The protocol as a Mermaid sequence diagram: `alt` for choices, `loop` for loops and
 * repeats, `par` for parallel branches, notes for compositions, `recur` and `end()`.
 *
 * @category diagrams
 */
export const toMermaid = (protocol: Any): string => Mermaid.protocolToMermaid(protocol)

/**
 * The local type of `role` as a Mermaid state diagram. An alias of `Local.toMermaid`, the
 * name to use (`import { Local } from "quadrille"`); kept for existing code.
 *
 * @category diagrams
 */
export const localToMermaid = <P extends Any>(protocol: P, role: P["roles"][number]): string =>
  Mermaid.localToMermaid(project(protocol, role), role)
