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

export type { LocalType } from "../runtime/local.js"

/**
 * The end of a local type.
 *
 * @category constructors
 */
export const end: LocalType = { _tag: "End" }

/**
 * Sends a message labelled `label` to `to`, then continues with `next` (`end` by default).
 *
 * @category constructors
 */
export const send = (to: string, label: string, next: LocalType = end): LocalType => ({ _tag: "Send", to, label, next })

/**
 * Receives a message labelled `label` from `from`, then continues with `next` (`end` by default).
 *
 * @category constructors
 */
export const recv = (from: string, label: string, next: LocalType = end): LocalType => ({ _tag: "Recv", from, label, next })

/**
 * Internal choice: the role takes one branch of the choice named `choice` (as in the global
 * protocol's `choice(at, choice, ...)`); each branch continues with its local type, which
 * usually sends the message that tells the peers which branch was taken.
 *
 * @category constructors
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
 */
export const rec = (name: string, body: LocalType): LocalType => ({ _tag: "Rec", name, body })

/**
 * The recursion variable bound by the nearest enclosing `rec(name, ...)`.
 *
 * @category constructors
 */
const variable = (name: string): LocalType => ({ _tag: "Var", name })
export { variable as var }

/**
 * The round check of a `repeat("param", ...)`: `again` while fewer than `params.param` rounds
 * are done, then `done` (write it as `rec(param, rounds(param, ..., ...))`, as projection does).
 *
 * @category constructors
 */
export const rounds = (param: string, again: LocalType, done: LocalType): LocalType => ({
  _tag: "Rounds",
  param,
  again,
  done
})
