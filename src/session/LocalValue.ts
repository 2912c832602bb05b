/**
 * `Local`, type and value under one name: `Local<typeof P, "A">` is the local session type of
 * role `A` computed by the compiler (from `./Local.ts`), and `Local.project`, `Local.format`
 * and `Local.toMermaid` are the same local type as data, as text and as a diagram at run time.
 *
 * @since 0.1.0
 */
import * as Protocol from "../protocol/index.js"
import type { Local as Projected } from "./Local.js"

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
 * type A = Local<typeof PingPong, "A">
 * const exact: [A] extends [Send<"B", "Ping", number, Recv<"B", "Pong", number, End>>] ? true : false = true
 * assert.strictEqual(exact, true)
 * ```
 *
 * @since 0.1.0
 */
export type Local<P, R extends string> = Projected<P, R>

/**
 * The local type of a role at run time.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Local, Protocol } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["A", "B"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "A", "Pong"))
 *
 * assert.strictEqual(Local.format(Local.project(PingPong, "B")), "Recv(A, Ping).Send(A, Pong).End")
 * assert.strictEqual(Local.toMermaid(PingPong, "B").includes("stateDiagram-v2"), true)
 * ```
 *
 * @category projection
 * @since 0.1.0
 */
export const Local = {
  /** The local type of `role` as data (`Protocol.project`). */
  project: Protocol.project,
  /** A local type as one line of text (`Protocol.formatLocal`). */
  format: Protocol.formatLocal,
  /**
   * The local type of `role` as a Mermaid `stateDiagram-v2`: a transition per send, receive,
   * select and round decision (`Protocol.localToMermaid` is the same function).
   */
  toMermaid: Protocol.localToMermaid
} as const
