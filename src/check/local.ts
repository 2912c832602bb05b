/**
 * Local types written by hand, as values: the constructors of `Check.local`. They build the
 * same `LocalType` data that `Protocol.project` reads off a role's automaton, so that a
 * declared (optimised) local type and a projected one can be compared (`Check.asyncSubtype`)
 * and model checked together (`Check.model`).
 *
 * @example
 * ```ts
 * import { Check } from "quadrille"
 * const { send, recv, rec, var: v } = Check.local
 * // B sends Ready to C before it receives Ping from A, in a loop
 * const B = rec("X", send("C", "Ready", recv("A", "Ping", v("X"))))
 * ```
 *
 * @since 0.1.0
 */
import type { LocalType } from "../runtime/local.js"

export type {
  /**
   * A local type as data: what `Protocol.project` gives and these constructors build.
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
   * const built: Check.LocalType = recv("A", "Ping", send("C", "Ready"))
   * assert.deepStrictEqual(built, Protocol.project(Relay, "B"))
   * ```
   *
   * @since 0.1.0
   */
  LocalType
} from "../runtime/local.js"

/**
 * The end of a local type.
 *
 * @category constructors
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
 * assert.deepStrictEqual(Protocol.project(Relay, "C"), Check.local.recv("B", "Ready", Check.local.end))
 * ```
 *
 * @since 0.1.0
 */
export const end: LocalType = { _tag: "End" }

/**
 * Sends a message labelled `label` to `to`, then continues with `next` (`end` by default).
 *
 * @category constructors
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
 * assert.deepStrictEqual(Protocol.project(Relay, "A"), Check.local.send("B", "Ping"))
 * ```
 *
 * @since 0.1.0
 */
export const send = (to: string, label: string, next: LocalType = end): LocalType => ({ _tag: "Send", to, label, next })

/**
 * Receives a message labelled `label` from `from`, then continues with `next` (`end` by default).
 *
 * @category constructors
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
 * assert.deepStrictEqual(Protocol.project(Relay, "B"), recv("A", "Ping", send("C", "Ready")))
 * ```
 *
 * @since 0.1.0
 */
export const recv = (from: string, label: string, next: LocalType = end): LocalType => ({ _tag: "Recv", from, label, next })

/**
 * Internal choice: the role takes one branch of the choice named `choice` (as in the global
 * protocol's `choice(at, choice, ...)`); each branch continues with its local type, which
 * usually sends the message that tells the peers which branch was taken.
 *
 * @category constructors
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Check, Protocol } from "quadrille"
 *
 * // A chooses; B learns the branch from the label it receives.
 * const Vote = Protocol.make("Vote", {
 *   roles: ["A", "B"],
 *   messages: { Yes: Schema.Struct({}), No: Schema.Struct({}) }
 * }, (g) => g.choice("A", "answer", { yes: (b) => b.msg("A", "B", "Yes"), no: (b) => b.msg("A", "B", "No") }))
 *
 * const { choose, send } = Check.local
 * assert.deepStrictEqual(Protocol.project(Vote, "A"), choose("answer", { yes: send("B", "Yes"), no: send("B", "No") }))
 * ```
 *
 * @since 0.1.0
 */
export const choose = (choice: string, branches: Readonly<Record<string, LocalType>>): LocalType => ({
  _tag: "Select",
  choice,
  branches
})

/**
 * External choice: the role receives one message from `from`, and its label says which
 * branch to continue with (a branch per label it accepts).
 *
 * @category constructors
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Check, Protocol } from "quadrille"
 *
 * // A chooses; B learns the branch from the label it receives.
 * const Vote = Protocol.make("Vote", {
 *   roles: ["A", "B"],
 *   messages: { Yes: Schema.Struct({}), No: Schema.Struct({}) }
 * }, (g) => g.choice("A", "answer", { yes: (b) => b.msg("A", "B", "Yes"), no: (b) => b.msg("A", "B", "No") }))
 *
 * const { offer, end } = Check.local
 * assert.deepStrictEqual(Protocol.project(Vote, "B"), offer("A", { Yes: end, No: end }))
 * ```
 *
 * @since 0.1.0
 */
export const offer = (from: string, branches: Readonly<Record<string, LocalType>>): LocalType => {
  const labels = Object.keys(branches)
  // One label is a plain receive: the form `Protocol.project` gives it.
  if (labels.length === 1) return { _tag: "Recv", from, label: labels[0], next: branches[labels[0]] }
  return { _tag: "Offer", from, branches }
}

/**
 * A recursive local type: `body`, in which `var(name)` stands for the whole `rec` again.
 *
 * @category constructors
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Check, Protocol } from "quadrille"
 *
 * const Ticks = Protocol.make("Ticks", { roles: ["Clock", "Listener"], messages: { Tick: Schema.Number } }, (g) =>
 *   g.forever("ticks", (l) => l.msg("Clock", "Listener", "Tick").recur("ticks")))
 *
 * const { rec, send, var: v } = Check.local
 * assert.deepStrictEqual(Protocol.project(Ticks, "Clock"), rec("ticks", send("Listener", "Tick", v("ticks"))))
 * ```
 *
 * @since 0.1.0
 */
export const rec = (name: string, body: LocalType): LocalType => ({ _tag: "Rec", name, body })

/**
 * The recursion variable bound by the nearest enclosing `rec(name, ...)`.
 *
 * @category constructors
 */
const variable = (name: string): LocalType => ({ _tag: "Var", name })
export {
  /**
   * The recursion variable bound by the nearest enclosing `rec(name, ...)` (`variable` here; `var` is a reserved word).
   *
   * @example
   * ```ts
   * import { Schema } from "effect"
   * import { Check, Protocol } from "quadrille"
   *
   * const Ticks = Protocol.make("Ticks", { roles: ["Clock", "Listener"], messages: { Tick: Schema.Number } }, (g) =>
   *   g.forever("ticks", (l) => l.msg("Clock", "Listener", "Tick").recur("ticks")))
   *
   * const { rec, recv, var: v } = Check.local
   * assert.deepStrictEqual(Protocol.project(Ticks, "Listener"), rec("ticks", recv("Clock", "Tick", v("ticks"))))
   * ```
   *
   * @since 0.1.0
   */
  variable as var
}

/**
 * The round check of a `repeat("param", ...)`: `again` while fewer than `params.param` rounds
 * are done, then `done` (write it as `rec(param, rounds(param, ..., ...))`, as projection does).
 *
 * @category constructors
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Check, Protocol } from "quadrille"
 *
 * const Pings = Protocol.make("Pings", { roles: ["A", "B"], messages: { Ping: Schema.Number } }, (g) =>
 *   g.repeat("n", (r) => r.msg("A", "B", "Ping")))
 *
 * const { end, rec, rounds, send, var: v } = Check.local
 * assert.deepStrictEqual(Protocol.project(Pings, "A"), rec("n", rounds("n", send("B", "Ping", v("n")), end)))
 * ```
 *
 * @since 0.1.0
 */
export const rounds = (param: string, again: LocalType, done: LocalType): LocalType => ({
  _tag: "Rounds",
  param,
  again,
  done
})
