/**
 * The `Protocol` namespace: build, check, project and describe global protocols.
 *
 * @since 0.1.0
 */
import { fromAutomaton, type LocalType } from "../runtime/local.js"
import * as Mermaid from "../viz/Mermaid.js"
import type { Any } from "./Protocol.js"

/**
 * @since 0.1.0
 */
export * from "./Protocol.js"
export type {
  /**
   * A local session type as data, what `project` returns.
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
   * const local: Protocol.LocalType = Protocol.project(PingPong, "A")
   * assert.deepStrictEqual([local._tag, local._tag === "Send" ? local.to : ""], ["Send", "B"])
   * ```
   *
   * @since 0.1.0
   */
  LocalType
} from "../runtime/local.js"
export {
  /**
   * A local type in one line, in the words of the compiler's errors:
   * `Recv(A, Ping).Send(A, Pong).End`.
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
   * assert.strictEqual(Protocol.formatLocal(Protocol.project(PingPong, "B")), "Recv(A, Ping).Send(A, Pong).End")
   * ```
   *
   * @since 0.1.0
   */
  format as formatLocal
} from "../runtime/local.js"

/**
 * The local type of `role` as data: what the role sends, receives, chooses and offers, in
 * order, with loops as `Rec`/`Var`.
 *
 * @category projection
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
 * const local: Protocol.LocalType = Protocol.project(PingPong, "B")
 * assert.strictEqual(local._tag, "Recv")
 * ```
 *
 * @since 0.1.0
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
 * const diagram = Protocol.toMermaid(PingPong)
 * assert.strictEqual(diagram.includes("sequenceDiagram\n  participant A\n  participant B\n  A->>B: Ping\n  B->>A: Pong"), true)
 * ```
 *
 * @since 0.1.0
 */
export const toMermaid = (protocol: Any): string => Mermaid.protocolToMermaid(protocol)

/**
 * The local type of `role` as a Mermaid state diagram. An alias of `Local.toMermaid`, the
 * name to use (`import { Local } from "quadrille"`); kept for existing code.
 *
 * @category diagrams
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
 * assert.strictEqual(Protocol.localToMermaid(PingPong, "A").includes("s0 --> s1 : !Ping to B"), true)
 * ```
 *
 * @since 0.1.0
 */
export const localToMermaid = <P extends Any>(protocol: P, role: P["roles"][number]): string =>
  Mermaid.localToMermaid(project(protocol, role), role)
