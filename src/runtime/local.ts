/**
 * Local types as data: the run-time projection of a global protocol onto one role, read
 * off the role's local automaton. Cycles become `Rec`/`Var`.
 *
 * @since 0.1.0
 */
import type { Automaton, LState, Transition } from "../protocol/automaton.js"

/**
 * A local session type as data.
 *
 * @category models
 */
export type LocalType =
  | { readonly _tag: "Send"; readonly to: string; readonly label: string; readonly next: LocalType }
  | { readonly _tag: "Recv"; readonly from: string; readonly label: string; readonly next: LocalType }
  | { readonly _tag: "Select"; readonly choice: string; readonly branches: Readonly<Record<string, LocalType>> }
  /** A receive from `from` whose label tells the branches apart; each continues after that message. */
  | { readonly _tag: "Offer"; readonly from: string; readonly branches: Readonly<Record<string, LocalType>> }
  /** The round check of a `repeat`: `again` while fewer than `param` rounds are done, then `done`. */
  | { readonly _tag: "Rounds"; readonly param: string; readonly again: LocalType; readonly done: LocalType }
  /** The role's own branches of a `parallel`, run concurrently; then `next`. */
  | { readonly _tag: "Par"; readonly branches: ReadonlyArray<LocalType>; readonly next: LocalType }
  /**
   * A `timeout` named `name` that `at` decides: the role's part of the body, of the fallback
   * (each `End` where it has none), then `next`.
   */
  | {
    readonly _tag: "Timeout"
    readonly name: string
    readonly at: string
    readonly body: LocalType
    readonly fallback: LocalType
    readonly next: LocalType
  }
  /**
   * A `saga` named `name` that `owner` decides: the role's part of the forward part, of the
   * compensation (each `End` where it has none), then `next`.
   */
  | {
    readonly _tag: "Saga"
    readonly name: string
    readonly owner: string
    readonly forward: LocalType
    readonly compensate: LocalType
    readonly next: LocalType
  }
  | { readonly _tag: "Rec"; readonly name: string; readonly body: LocalType }
  | { readonly _tag: "Var"; readonly name: string }
  | { readonly _tag: "End" }

/**
 * Reads the local type off an automaton. A transition that enters or goes round a loop
 * enclosing the role's next action opens a `Rec` named after that loop, unless it leads back
 * to a state already opened on this path, which is then a `Var`. The type-level projection (`Local<P, R>` in
 * src/session/Local.ts) builds its types by the same rule, so that both print alike.
 */
export const fromAutomaton = (a: Automaton): LocalType => {
  const go = (t: Transition, heads: ReadonlyArray<{ readonly id: number; readonly name: string }>): LocalType => {
    if (t.loops.length === 0) return state(t.target, heads)
    const found = heads.find((h) => h.id === t.target.id)
    if (found !== undefined) return { _tag: "Var", name: found.name }
    const name = t.loops.join(" | ")
    return { _tag: "Rec", name, body: state(t.target, [...heads, { id: t.target.id, name }]) }
  }
  const state = (s: LState, heads: ReadonlyArray<{ readonly id: number; readonly name: string }>): LocalType => {
    switch (s.kind) {
      case "end":
        return { _tag: "End" }
      case "rounds":
        return { _tag: "Rounds", param: s.param, again: go(s.again, heads), done: go(s.done, heads) }
      case "par":
        return { _tag: "Par", branches: s.branches.map((b) => fromAutomaton(b.automaton)), next: go(s.next, heads) }
      case "timeout": {
        const body: LocalType = s.body === undefined ? { _tag: "End" } : fromAutomaton(s.body)
        const fallback: LocalType = s.fallback === undefined ? { _tag: "End" } : fromAutomaton(s.fallback)
        return s.trigger === "clock"
          ? { _tag: "Timeout", name: s.name, at: s.at, body, fallback, next: go(s.next, heads) }
          : { _tag: "Saga", name: s.name, owner: s.at, forward: body, compensate: fallback, next: go(s.next, heads) }
      }
      case "send":
        return { _tag: "Send", to: s.peer, label: s.label, next: go(s.next, heads) }
      case "select":
        return {
          _tag: "Select",
          choice: s.choice,
          branches: Object.fromEntries([...s.branches].map(([b, t]) => [b, go(t, heads)]))
        }
      case "recv": {
        if (s.options.size === 1) {
          const [o] = s.options.values()
          return { _tag: "Recv", from: s.peer, label: o.label, next: go(o.next, heads) }
        }
        return {
          _tag: "Offer",
          from: s.peer,
          branches: Object.fromEntries([...s.options].map(([l, o]) => [l, go(o.next, heads)]))
        }
      }
    }
  }
  return go(a.initial, [])
}

/**
 * Prints a local type on one line: `Recv(Coordinator, PrepareRequest).Send(Coordinator, ...)`.
 *
 * @category utils
 */
export const format = (t: LocalType): string => {
  switch (t._tag) {
    case "Send":
      return `Send(${t.to}, ${t.label}).${format(t.next)}`
    case "Recv":
      return `Recv(${t.from}, ${t.label}).${format(t.next)}`
    case "Select":
      return `Select{ ${Object.entries(t.branches).map(([b, k]) => `${b}: ${format(k)}`).join(", ")} }`
    case "Offer":
      return `Offer(${t.from}){ ${Object.entries(t.branches).map(([b, k]) => `${b}: ${format(k)}`).join(", ")} }`
    case "Rounds":
      return `Rounds(${t.param}){ again: ${format(t.again)}, done: ${format(t.done)} }`
    case "Par":
      return `Par[ ${t.branches.map(format).join(" || ")} ].${format(t.next)}`
    case "Timeout":
      return `Timeout(${t.name} at ${t.at}){ body: ${format(t.body)}, fallback: ${format(t.fallback)} }.${format(t.next)}`
    case "Saga":
      return `Saga(${t.name} by ${t.owner}){ forward: ${format(t.forward)}, compensate: ${format(t.compensate)} }.${format(t.next)}`
    case "Rec":
      return `Rec ${t.name}.${format(t.body)}`
    case "Var":
      return t.name
    case "End":
      return "End"
  }
}
