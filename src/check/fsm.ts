/**
 * A local type as a finite state machine: one state per action, `Rec`/`Var` resolved into
 * cycles. What both checkers (`subtype.ts`, `model.ts`) work on.
 *
 * @internal
 */
import type { Automaton, LState } from "../protocol/automaton.js"
import type { LocalType } from "../runtime/local.js"

/** A construct a checker does not model: `Par`, `Timeout` and `Saga`. */
export type UnsupportedConstruct = "Par" | "Timeout" | "Saga"

export type FsmState =
  | { readonly kind: "end"; readonly id: number }
  | { readonly kind: "send"; readonly id: number; readonly peer: string; readonly label: string; next: number }
  | { readonly kind: "recv"; readonly id: number; readonly peer: string; readonly options: Map<string, number> }
  | { readonly kind: "select"; readonly id: number; readonly choice: string; readonly branches: Map<string, number> }
  | { readonly kind: "rounds"; readonly id: number; readonly param: string; again: number; done: number }
  /**
   * A `parallel` (read off a role's automaton only): the role's branches, each with the index
   * of the branch in the global parallel and its own machine, run concurrently; then `next`.
   */
  | {
    readonly kind: "par"
    readonly id: number
    readonly site: string
    readonly branches: ReadonlyArray<{ readonly index: number; readonly fsm: Fsm }>
    next: number
  }
  | { readonly kind: "unsupported"; readonly id: number; readonly construct: UnsupportedConstruct }

export interface Fsm {
  readonly initial: number
  readonly states: ReadonlyArray<FsmState>
}

/**
 * A local type that is not well formed as data: an unbound or unguarded recursion variable, or
 * a choice or an offer without branches.
 */
export class MalformedLocalType extends Error {
  override readonly name = "MalformedLocalType"
}

interface Binding {
  readonly uid: number
  readonly name: string
  readonly rec: Extract<LocalType, { _tag: "Rec" }>
  readonly env: Env
}
type Env = { readonly head: Binding; readonly tail: Env } | undefined

const envKey = (env: Env): string => {
  const ids: Array<number> = []
  for (let e = env; e !== undefined; e = e.tail) ids.push(e.head.uid)
  return ids.join(".")
}

const lookup = (env: Env, name: string): Binding | undefined => {
  for (let e = env; e !== undefined; e = e.tail) if (e.head.name === name) return e.head
  return undefined
}

/** Builds the state machine of a local type. Throws `MalformedLocalType` for `Rec X. X`, a free `X` or an empty choice or offer. */
export const toFsm = (t: LocalType): Fsm => {
  const states: Array<FsmState> = []
  const byKey = new Map<LocalType, Map<string, number>>()
  const bindings = new Map<LocalType, Map<string, Binding>>()
  let uids = 0
  const bind = (rec: Extract<LocalType, { _tag: "Rec" }>, env: Env): Binding => {
    const k = envKey(env)
    let m = bindings.get(rec)
    if (m === undefined) bindings.set(rec, m = new Map())
    let b = m.get(k)
    if (b === undefined) m.set(k, b = { uid: uids++, name: rec.name, rec, env })
    return b
  }
  const work: Array<{ readonly id: number; readonly t: LocalType; readonly env: Env }> = []

  /** The state of `t` under `env`, after unfolding its leading `Rec`s and `Var`s. */
  const stateOf = (t0: LocalType, env0: Env): number => {
    let t = t0
    let env = env0
    const passed = new Set<string>()
    for (;;) {
      if (t._tag === "Rec") {
        const b = bind(t, env)
        const key = `${b.uid}`
        if (passed.has(key)) throw new MalformedLocalType(`unguarded recursion: rec ${t.name} reaches ${t.name} before any action`)
        passed.add(key)
        env = { head: b, tail: b.env }
        t = t.body
      } else if (t._tag === "Var") {
        const b = lookup(env, t.name)
        if (b === undefined) throw new MalformedLocalType(`recursion variable ${t.name} is not bound by an enclosing rec`)
        t = b.rec
        env = b.env
      } else break
    }
    const k = envKey(env)
    let m = byKey.get(t)
    if (m === undefined) byKey.set(t, m = new Map())
    const known = m.get(k)
    if (known !== undefined) return known
    const id = states.length
    m.set(k, id)
    switch (t._tag) {
      case "End":
        states.push({ kind: "end", id })
        break
      case "Send":
        states.push({ kind: "send", id, peer: t.to, label: t.label, next: -1 })
        break
      case "Recv":
      case "Offer":
        if (t._tag === "Offer" && Object.keys(t.branches).length === 0) {
          throw new MalformedLocalType(`an offer from ${t.from} has no branches (it could never receive anything)`)
        }
        states.push({ kind: "recv", id, peer: t.from, options: new Map() })
        break
      case "Select":
        if (Object.keys(t.branches).length === 0) throw new MalformedLocalType(`choice ${t.choice} has no branches (it could never be taken)`)
        states.push({ kind: "select", id, choice: t.choice, branches: new Map() })
        break
      case "Rounds":
        states.push({ kind: "rounds", id, param: t.param, again: -1, done: -1 })
        break
      case "Par":
      case "Timeout":
      case "Saga":
        states.push({ kind: "unsupported", id, construct: t._tag })
        break
    }
    work.push({ id, t, env })
    return id
  }

  const initial = stateOf(t, undefined)
  while (work.length > 0) {
    const { id, t, env } = work.pop()!
    const s = states[id]
    switch (t._tag) {
      case "Send":
        if (s.kind === "send") s.next = stateOf(t.next, env)
        break
      case "Recv":
        if (s.kind === "recv") s.options.set(t.label, stateOf(t.next, env))
        break
      case "Offer":
        if (s.kind === "recv") for (const [l, k] of Object.entries(t.branches)) s.options.set(l, stateOf(k, env))
        break
      case "Select":
        if (s.kind === "select") for (const [b, k] of Object.entries(t.branches)) s.branches.set(b, stateOf(k, env))
        break
      case "Rounds":
        if (s.kind === "rounds") {
          s.again = stateOf(t.again, env)
          s.done = stateOf(t.done, env)
        }
        break
      default:
        break
    }
  }
  return { initial, states }
}

/** The first construct of `t` that the checkers do not model, if any. */
export const unsupportedIn = (fsm: Fsm): UnsupportedConstruct | undefined => {
  for (const s of fsm.states) {
    if (s.kind === "unsupported") return s.construct
    if (s.kind === "par") {
      for (const b of s.branches) {
        const inner = unsupportedIn(b.fsm)
        if (inner !== undefined) return inner
      }
    }
  }
  return undefined
}

/**
 * Builds the state machine of a role straight from its run-time automaton (what projection
 * made): the same machine as `toFsm(fromAutomaton(a))`, but a `parallel` keeps the indices of
 * the role's branches in the global parallel and its site, which tell the lanes apart.
 */
export const fromAutomaton = (a: Automaton): Fsm => {
  const states: Array<FsmState> = []
  const ids = new Map<LState, number>()
  const work: Array<LState> = []
  const idOf = (s: LState): number => {
    const known = ids.get(s)
    if (known !== undefined) return known
    const id = states.length
    ids.set(s, id)
    states.push({ kind: "end", id })
    work.push(s)
    return id
  }
  const initial = idOf(a.initial.target)
  while (work.length > 0) {
    const s = work.pop()!
    const id = ids.get(s)!
    switch (s.kind) {
      case "end":
        break
      case "send":
        states[id] = { kind: "send", id, peer: s.peer, label: s.label, next: idOf(s.next.target) }
        break
      case "recv":
        states[id] = { kind: "recv", id, peer: s.peer, options: new Map([...s.options].map(([l, o]) => [l, idOf(o.next.target)])) }
        break
      case "select":
        states[id] = { kind: "select", id, choice: s.choice, branches: new Map([...s.branches].map(([b, t]) => [b, idOf(t.target)])) }
        break
      case "rounds":
        states[id] = { kind: "rounds", id, param: s.param, again: idOf(s.again.target), done: idOf(s.done.target) }
        break
      case "par":
        states[id] = {
          kind: "par",
          id,
          site: s.site,
          branches: s.branches.map((b) => ({ index: b.index, fsm: fromAutomaton(b.automaton) })),
          next: idOf(s.next.target)
        }
        break
      case "timeout":
        states[id] = { kind: "unsupported", id, construct: s.trigger === "clock" ? "Timeout" : "Saga" }
        break
    }
  }
  return { initial, states }
}
