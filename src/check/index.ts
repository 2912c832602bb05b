/**
 * The `Check` namespace: local types written by hand (`Check.local`), bounded asynchronous
 * subtyping against a projection (`Check.asyncSubtype`) and bounded model checking of a
 * protocol's roles, projected or declared (`Check.model`).
 *
 * @since 0.1.0
 */
export type { LocalType } from "../runtime/local.js"
/** Constructors of local types as values: `send`, `recv`, `choose`, `offer`, `rec`, `var`, `rounds`, `end`. */
export * as local from "./local.js"
export { type Action, asyncSubtype, describeAction, type RefusalReason, type SubtypeOptions, type SubtypeResult } from "./subtype.js"
export { type Message, model, type ModelOptions, type ModelResult, report, toMermaid, type Waiting } from "./model.js"
