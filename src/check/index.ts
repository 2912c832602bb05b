/**
 * The `Check` namespace: local types written by hand (`Check.local`), bounded asynchronous
 * subtyping against a projection (`Check.asyncSubtype`) and bounded model checking of a
 * protocol's roles, projected or declared (`Check.model`, with `Check.report` and
 * `Check.toMermaid` for its counterexamples).
 *
 * @since 0.1.0
 */

/** A local type as data: what `Protocol.project` gives and `Check.local` builds. */
export type { LocalType } from "../runtime/local.js"

/** Constructors of local types as values: `send`, `recv`, `choose`, `offer`, `rec`, `var`, `rounds`, `end`. */
export * as local from "./local.js"

/**
 * `asyncSubtype(optimised, projected, { bound, role })`: whether a role may follow the
 * optimised local type where the protocol projects the other (outputs may move ahead of
 * inputs, never inputs ahead of outputs), within a bound; `describeAction` puts one of its
 * actions in words.
 */
export { type Action, asyncSubtype, describeAction, type RefusalReason, type SubtypeOptions, type SubtypeResult } from "./subtype.js"

/**
 * `model(protocol, { bound, roles?, params? })`: every interleaving of the roles over FIFO
 * channels of at most `bound` messages, with the first deadlock, orphan message or
 * unspecified reception and a shortest run to it; `report` prints a result, `toMermaid` draws
 * its counterexample as a sequence diagram.
 */
export { type Message, model, type ModelOptions, type ModelResult, report, toMermaid, type Waiting } from "./model.js"
