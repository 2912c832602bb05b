/**
 * The `Check` namespace: local types written by hand (`Check.local`), bounded asynchronous
 * subtyping against a projection (`Check.asyncSubtype`) and bounded model checking of a
 * protocol's roles, projected or declared (`Check.model`, with `Check.report` and
 * `Check.toMermaid` for its counterexamples).
 *
 * @since 0.1.0
 */

export type {
  /**
   * A local type as data: what `Protocol.project` gives and `Check.local` builds.
   *
   * @example
   * ```ts
   * import { Schema } from "effect"
   * import { Check, Protocol } from "quadrille"
   *
   * // A pings B, then B tells C it is ready.
   * const Relay = Protocol.make("Relay", {
   *   roles: ["A", "B", "C"],
   *   messages: { Ping: Schema.Number, Ready: Schema.Struct({}) }
   * }, (g) => g.msg("A", "B", "Ping").msg("B", "C", "Ready"))
   *
   * const projected: Check.LocalType = Protocol.project(Relay, "C")
   * assert.strictEqual(Protocol.formatLocal(projected), "Recv(B, Ready).End")
   * ```
   *
   * @since 0.1.0
   */
  LocalType
} from "../runtime/local.js"

/**
 * Constructors of local types as values: `send`, `recv`, `choose`, `offer`, `rec`, `var`, `rounds`, `end`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Check, Protocol } from "quadrille"
 *
 * // A pings B, then B tells C it is ready.
 * const Relay = Protocol.make("Relay", {
 *   roles: ["A", "B", "C"],
 *   messages: { Ping: Schema.Number, Ready: Schema.Struct({}) }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "C", "Ready"))
 *
 * const { recv, send } = Check.local
 * // B written by hand, sending Ready before it has the Ping, checked against its projection.
 * const B = send("C", "Ready", recv("A", "Ping"))
 * assert.strictEqual(Check.asyncSubtype(B, Protocol.project(Relay, "B"), { role: "B" })._tag, "Subtype")
 * assert.strictEqual(Check.model(Relay, { bound: 1, roles: { B } })._tag, "Ok")
 * ```
 *
 * @since 0.1.0
 */
export * as local from "./local.js"

/**
 * `asyncSubtype(optimised, projected, { bound, role })`: whether a role may follow the
 * optimised local type where the protocol projects the other (outputs may move ahead of
 * inputs, never inputs ahead of outputs), within a bound; `describeAction` puts one of its
 * actions in words.
 */
export {
  /** @since 0.1.0 */
  type Action,
  /** @since 0.1.0 */
  asyncSubtype,
  /** @since 0.1.0 */
  describeAction,
  /** @since 0.1.0 */
  type RefusalReason,
  /** @since 0.1.0 */
  type SubtypeOptions,
  /** @since 0.1.0 */
  type SubtypeResult
} from "./subtype.js"

/**
 * `model(protocol, { bound, roles?, params? })`: every interleaving of the roles over FIFO
 * channels of at most `bound` messages, with the first deadlock, orphan message or
 * unspecified reception and a shortest run to it; `report` prints a result, `toMermaid` draws
 * its counterexample as a sequence diagram.
 */
export {
  /** @since 0.1.0 */
  type Message,
  /** @since 0.1.0 */
  model,
  /** @since 0.1.0 */
  type ModelOptions,
  /** @since 0.1.0 */
  type ModelResult,
  /** @since 0.1.0 */
  report,
  /** @since 0.1.0 */
  toMermaid,
  /** @since 0.1.0 */
  type Waiting
} from "./model.js"
