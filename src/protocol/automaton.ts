/**
 * Run-time projection. A role's local automaton has one state per set of global nodes the
 * role may be at: where it does not know which branch of a choice was taken, it is at all
 * of them at once, and its next action must be the same in all (full merging), or a
 * receive whose label tells them apart. Following `recur` edges while looking for that
 * action is the recursion unfolding of the knowledge-of-choice rule.
 *
 * @internal
 */
import { ProjectionError, type Rule } from "../effects/errors.js"
import type { ChoiceNode, EndNode, GNode, MsgNode, ParNode, RoundsNode, TimeoutNode } from "./nodes.js"
import * as Msg from "./messages.js"

/**
 * What a transition does to one loop counter of a role: `set` to `n` (the loop was entered
 * afresh and went round `n` times), `add` `n`, or `unknown` (the paths disagree).
 */
export interface CounterOp {
  readonly loop: string
  readonly op: "set" | "add" | "unknown"
  readonly n: number
}

export interface Transition {
  readonly target: LState
  readonly effect: ReadonlyArray<CounterOp>
  /** The loops this transition entered or went round that enclose where the role acts next, sorted. */
  readonly loops: ReadonlyArray<string>
  /**
   * Into a receive of several labels, whose paths went round loops differently: the effect
   * of each label, applied when that label arrives (`effect` is then empty).
   */
  readonly byLabel?: ReadonlyMap<string, ReadonlyArray<CounterOp>> | undefined
}

export interface SendState {
  readonly kind: "send"
  readonly id: number
  readonly peer: string
  readonly label: string
  /** The site, or the candidate sites joined by `|` when the role cannot tell them apart. */
  readonly site: string
  /** Loops enclosing the site(s) whose counters travel with the message. */
  readonly siteLoops: ReadonlyArray<string>
  next: Transition
}

export interface RecvOption {
  readonly label: string
  readonly sites: ReadonlySet<string>
  next: Transition
}

export interface RecvState {
  readonly kind: "recv"
  readonly id: number
  readonly peer: string
  readonly options: Map<string, RecvOption>
}

export interface SelectState {
  readonly kind: "select"
  readonly id: number
  readonly choice: string
  readonly site: string
  readonly branches: Map<string, Transition>
}

export interface EndState {
  readonly kind: "end"
  readonly id: number
}

/** The round check of a `repeat`: `again` while fewer than `param` rounds are done, then `done`. */
export interface RoundsState {
  readonly kind: "rounds"
  readonly id: number
  readonly param: string
  readonly site: string
  again: Transition
  done: Transition
  /**
   * Count the rounds by the role's own decisions (`again`s since its last `done`), not by loop
   * counters: the round checks of a declared local type (src/runtime/declared.ts).
   */
  readonly decisions?: true | undefined
}

/**
 * A `parallel` the role takes part in: the role's own automaton of each branch it is in,
 * run concurrently, each on its lane; then `next`.
 */
export interface ParState {
  readonly kind: "par"
  readonly id: number
  readonly site: string
  readonly branches: Array<{ readonly index: number; readonly automaton: Automaton }>
  next: Transition
}

/**
 * A `timeout` the role takes part in: its own automata of the body and of the fallback (none
 * where it has no part in one), then `next`. `decides` for the role that races the clock.
 */
export interface TimeoutState {
  readonly kind: "timeout"
  readonly id: number
  readonly site: string
  readonly name: string
  /** A `timeout` (the clock decides) or a `saga` (a failure in the body, its forward part, decides). */
  readonly trigger: "clock" | "failure"
  /** The role that decides: it races its part of the body against the clock. */
  readonly at: string
  readonly duration: number
  readonly decides: boolean
  /** The role's part of the body and of the fallback (`undefined`: it has none). */
  body: Automaton | undefined
  fallback: Automaton | undefined
  /** For `at`: every other role in the timeout (told when time runs out). */
  readonly others: ReadonlyArray<string>
  /** Every role of the step (the decider and the roles of either part). */
  readonly roles: ReadonlySet<string>
  /** For `at`: the roles with a part in the fallback, who wait for its verdict after the body. */
  readonly waiting: ReadonlyArray<string>
  /** For a saga's owner: the other roles with a part in the forward part, who report how it went. */
  readonly reporters: ReadonlyArray<string>
  next: Transition
}

export type LState = SendState | RecvState | SelectState | EndState | RoundsState | ParState | TimeoutState

export interface Automaton {
  readonly protocol: string
  readonly role: string
  readonly initial: Transition
  readonly states: ReadonlyArray<LState>
}

type Action = MsgNode | ChoiceNode | EndNode | RoundsNode | ParNode | TimeoutNode

/** The branches of other roles' choices a path went through, newest first. */
type Via = { readonly choice: ChoiceNode; readonly branch: string; readonly prev: Via } | undefined

type Op = { readonly set: boolean; readonly n: number }

interface Elem {
  readonly node: Action
  readonly ops: ReadonlyMap<string, Op>
  readonly via: Via
}

interface Start {
  readonly node: GNode
  readonly via: Via
}

const noOps: ReadonlyMap<string, Op> = new Map()

const enter = (ops: ReadonlyMap<string, Op>, loop: string) => new Map(ops).set(loop, { set: true, n: 0 })

const again = (ops: ReadonlyMap<string, Op>, loop: string) => {
  const before = ops.get(loop)
  return new Map(ops).set(loop, { set: before?.set ?? false, n: (before?.n ?? 0) + 1 })
}

const sameOp = (a: Op | undefined, b: Op | undefined) => a?.set === b?.set && a?.n === b?.n

/** Whether `role` acts at `n` (the closure stops there), rather than passing it by. */
const actsAt = (role: string, n: GNode): boolean => {
  switch (n.kind) {
    case "msg":
      return n.from === role || n.to === role
    case "choice":
      return n.at === role
    case "end":
      return true
    case "rounds":
      return n.roles.has(role)
    case "par":
      return n.branches.some((b) => b.roles.has(role))
    case "timeout":
      return n.roles.has(role)
    case "loop":
    case "recur":
      return false
  }
}

/**
 * The nodes where `role` acts next, from `starts`, skipping everything it takes no part in;
 * and, by node, the loops whose counters the role cannot know there, because it may reach
 * the node after different numbers of rounds of them (it sat those rounds out).
 */
const closure = (role: string, starts: ReadonlyArray<Start>) => {
  const seen = new Map<number, ReadonlyMap<string, Op>>()
  /** Nodes reached again with other counters, and the loops that differ. */
  const conflicts: Array<{ readonly node: GNode; readonly loops: ReadonlySet<string> }> = []
  const out: Array<Elem> = []
  const visit = (n: GNode, ops: ReadonlyMap<string, Op>, via: Via): void => {
    const before = seen.get(n.id)
    if (before !== undefined) {
      const differ = new Set<string>()
      for (const l of new Set([...before.keys(), ...ops.keys()])) if (!sameOp(before.get(l), ops.get(l))) differ.add(l)
      if (differ.size > 0) conflicts.push({ node: n, loops: differ })
      return
    }
    seen.set(n.id, ops)
    if (actsAt(role, n)) {
      out.push({ node: n as Action, ops, via })
      return
    }
    switch (n.kind) {
      case "msg":
        return visit(n.next, ops, via)
      case "choice":
        for (const b of n.branches) visit(b.node, ops, { choice: n, branch: b.label, prev: via })
        return
      case "loop":
        return visit(n.body, enter(ops, n.name), via)
      case "recur":
        return visit(n.loop.body, again(ops, n.name), via)
      case "rounds":
        return visit(n.exit, ops, via)
      case "par":
      case "timeout":
        return visit(n.next, ops, via)
    }
  }
  for (const s of starts) visit(s.node, noOps, s.via)

  // A counter that differs where two paths meet is unknown from there on, up to where the
  // role acts, unless the path enters that loop afresh on the way (which sets it again).
  const unknown = new Map<number, Set<string>>()
  const spread = (n: GNode, loops: ReadonlySet<string>, done: Set<string>): void => {
    const key = `${n.id}\u0000${[...loops].sort().join("\u0000")}`
    if (done.has(key)) return
    done.add(key)
    if (actsAt(role, n)) {
      const at = unknown.get(n.id) ?? new Set<string>()
      for (const l of loops) at.add(l)
      unknown.set(n.id, at)
      return
    }
    switch (n.kind) {
      case "msg":
        return spread(n.next, loops, done)
      case "choice":
        for (const b of n.branches) spread(b.node, loops, done)
        return
      case "loop": {
        const rest = new Set(loops)
        rest.delete(n.name)
        if (rest.size > 0) spread(n.body, rest, done)
        return
      }
      case "recur":
        return spread(n.loop.body, loops, done)
      case "rounds":
        return spread(n.exit, loops, done)
      case "par":
      case "timeout":
        return spread(n.next, loops, done)
    }
  }
  const done = new Set<string>()
  for (const c of conflicts) spread(c.node, c.loops, done)
  return { elems: out.sort((a, b) => a.node.id - b.node.id), unknown }
}

const effectOf = (elems: ReadonlyArray<Elem>, unknownAt: ReadonlyMap<number, ReadonlySet<string>>): Array<CounterOp> => {
  const unknown = new Set<string>()
  for (const e of elems) for (const l of unknownAt.get(e.node.id) ?? []) unknown.add(l)
  const loops = new Set<string>(unknown)
  for (const e of elems) for (const l of e.ops.keys()) loops.add(l)
  const effect: Array<CounterOp> = []
  for (const loop of loops) {
    const first = elems[0].ops.get(loop)
    const same = first !== undefined && !unknown.has(loop) && elems.every((e) => sameOp(e.ops.get(loop), first))
    effect.push(same ? { loop, op: first.set ? "set" : "add", n: first.n } : { loop, op: "unknown", n: 0 })
  }
  return effect
}

const viaArray = (via: Via) => {
  const out: Array<{ choice: ChoiceNode; branch: string }> = []
  for (let v = via; v !== undefined; v = v.prev) out.push(v)
  return out.reverse()
}

/** The choice at which the paths to two elements part, and the branch each took. */
const parting = (a: Elem, b: Elem) => {
  const va = viaArray(a.via)
  const vb = viaArray(b.via)
  for (let i = 0; i < Math.min(va.length, vb.length); i++) {
    if (va[i].choice !== vb[i].choice) break
    if (va[i].branch !== vb[i].branch) return { choice: va[i].choice, a: va[i].branch, b: vb[i].branch }
  }
  return undefined
}

const doing = (role: string, e: Elem): string => {
  const n = e.node
  switch (n.kind) {
    case "msg":
      return `${n.from === role ? `sends ${n.label} to ${n.to}` : `receives ${n.label} from ${n.from}`} (site ${n.site})`
    case "choice":
      return `makes choice '${n.name}' (site ${n.site})`
    case "end":
      return "ends"
    case "rounds":
      return `goes round '${n.param}' (site ${n.site})`
    case "par":
      return `takes part in the parallel at site ${n.site}`
    case "timeout":
      return `takes part in timeout '${n.name}' (site ${n.site})`
  }
}

const isRecv = (role: string, e: Elem) => e.node.kind === "msg" && e.node.to === role

export const automaton = (protocol: string, role: string, start: GNode): Automaton => {
  const states: Array<LState> = []
  const byKey = new Map<string, LState>()
  const work: Array<{ state: LState; elems: Array<Elem> }> = []

  const conflict = (first: Elem, second: Elem, merged: string | undefined): never => {
    const part = parting(first, second)
    // Name the branches in the order the protocol declares them.
    const swap = part !== undefined &&
      part.choice.branches.findIndex((b) => b.label === part.a) > part.choice.branches.findIndex((b) => b.label === part.b)
    const [a, b] = swap ? [second, first] : [first, second]
    const [ba, bb] = part === undefined ? ["", ""] : swap ? [part.b, part.a] : [part.a, part.b]
    const sites = [a.node.site, b.node.site].filter((s) => s !== "end")
    const head = part === undefined ? Msg.cannotTellPaths(role) : Msg.cannotTell(role, ba, bb, part.choice.name, part.choice.at)
    const where = part === undefined ? ["one path", "another"] : [`in '${ba}'`, `in '${bb}'`]
    const what = `${where[0]} it ${doing(role, a)} but ${where[1]} it ${doing(role, b)}`
    let rule: Rule
    let advice: string
    if (merged !== undefined) {
      rule = "DuplicateBranchMessage"
      advice = Msg.adviceDuplicate(role, merged)
    } else if (a.node.kind === "choice" || b.node.kind === "choice") {
      rule = "ChooserUnaware"
      advice = Msg.adviceChooser(role)
    } else if (isRecv(role, a) || isRecv(role, b)) {
      rule = "UnmergeableChoice"
      advice = Msg.adviceUnmergeable(role)
    } else {
      rule = "AmbiguousBranch"
      advice = Msg.adviceAmbiguous(role, part?.choice.at ?? "a role that knows the branch")
    }
    throw new ProjectionError({ protocol, rule, role, sites, message: `protocol ${protocol}: ${head}: ${what}; ${advice}` })
  }

  const stateFor = (elems: Array<Elem>, merged: string | undefined): LState => {
    const key = elems.map((e) => e.node.id).join(",")
    const known = byKey.get(key)
    if (known !== undefined) return known
    const id = states.length
    const first = elems[0]
    let state: LState
    // No action at all: every path goes round a `forever` loop the role takes no part in (again):
    // it has nothing more to do.
    if (first === undefined) {
      state = { kind: "end", id }
      states.push(state)
      byKey.set(key, state)
      return state
    }
    const n = first.node
    if (n.kind === "end") {
      const other = elems.find((e) => e.node.kind !== "end")
      if (other !== undefined) conflict(first, other, merged)
      state = { kind: "end", id }
    } else if (n.kind === "par") {
      if (elems.length > 1) conflict(first, elems[1], merged)
      state = { kind: "par", id, site: n.site, branches: [], next: undefined! }
    } else if (n.kind === "timeout") {
      if (elems.length > 1) conflict(first, elems[1], merged)
      const others = [...n.roles].filter((r) => r !== n.at)
      state = {
        kind: "timeout",
        id,
        site: n.site,
        name: n.name,
        trigger: n.trigger,
        reporters: n.at === role && n.trigger === "failure" ? others.filter((r) => n.body.roles.has(r)) : [],
        at: n.at,
        duration: n.duration,
        decides: n.at === role,
        body: undefined,
        fallback: undefined,
        others: n.at === role ? others : [],
        roles: n.roles,
        waiting: n.at === role ? others.filter((r) => n.fallback.roles.has(r)) : [],
        next: undefined!
      }
    } else if (n.kind === "rounds") {
      if (elems.length > 1) conflict(first, elems[1], merged)
      state = { kind: "rounds", id, param: n.param, site: n.site, again: undefined!, done: undefined! }
    } else if (n.kind === "choice") {
      if (elems.length > 1) conflict(first, elems[1], merged)
      state = { kind: "select", id, choice: n.name, site: n.site, branches: new Map() }
    } else if (n.from === role) {
      for (const e of elems) {
        const m = e.node
        if (m.kind !== "msg" || m.from !== role || m.to !== n.to || m.label !== n.label) conflict(first, e, merged)
      }
      const sites = [...new Set(elems.map((e) => e.node.site))]
      const siteLoops = (elems[0].node.loops).filter((l) => elems.every((e) => e.node.loops.includes(l)))
      state = { kind: "send", id, peer: n.to, label: n.label, site: sites.join("|"), siteLoops, next: undefined! }
    } else {
      for (const e of elems) {
        const m = e.node
        if (m.kind !== "msg" || m.to !== role || m.from !== n.from) conflict(first, e, merged)
      }
      state = { kind: "recv", id, peer: n.from, options: new Map() }
    }
    states.push(state)
    byKey.set(key, state)
    work.push({ state, elems })
    return state
  }

  const transition = (starts: ReadonlyArray<Start>, merged: string | undefined): Transition => {
    const { elems, unknown } = closure(role, starts)
    const loops = new Set<string>()
    for (const e of elems) for (const l of e.ops.keys()) if (e.node.loops.includes(l)) loops.add(l)
    const target = stateFor(elems, merged)
    const labels = new Map<string, Array<Elem>>()
    if (target.kind === "recv") {
      for (const e of elems) {
        const label = (e.node as MsgNode).label
        labels.set(label, [...(labels.get(label) ?? []), e])
      }
    }
    if (labels.size > 1) {
      const byLabel = new Map([...labels].map(([label, es]) => [label, effectOf(es, unknown)] as const))
      return { target, effect: [], loops: [...loops].sort(), byLabel }
    }
    return { target, effect: effectOf(elems, unknown), loops: [...loops].sort() }
  }

  const initial = transition([{ node: start, via: undefined }], undefined)
  while (work.length > 0) {
    const { state, elems } = work.pop()!
    switch (state.kind) {
      case "end":
        break
      case "par": {
        const n = elems[0].node as ParNode
        n.branches.forEach((b, index) => {
          if (b.roles.has(role)) state.branches.push({ index, automaton: automaton(protocol, role, b.start) })
        })
        state.next = transition([{ node: n.next, via: elems[0].via }], undefined)
        break
      }
      case "timeout": {
        const n = elems[0].node as TimeoutNode
        if (n.body.roles.has(role)) state.body = automaton(protocol, role, n.body.start)
        if (n.fallback.roles.has(role)) state.fallback = automaton(protocol, role, n.fallback.start)
        state.next = transition([{ node: n.next, via: elems[0].via }], undefined)
        break
      }
      case "rounds": {
        const n = elems[0].node as RoundsNode
        state.again = transition([{ node: n.again, via: elems[0].via }], undefined)
        state.done = transition([{ node: n.exit, via: elems[0].via }], undefined)
        break
      }
      case "select": {
        const n = elems[0].node as ChoiceNode
        for (const b of n.branches) state.branches.set(b.label, transition([{ node: b.node, via: elems[0].via }], undefined))
        break
      }
      case "send": {
        const starts = elems.map((e) => ({ node: (e.node as MsgNode).next, via: e.via }))
        state.next = transition(starts, undefined)
        break
      }
      case "recv": {
        const byLabel = new Map<string, Array<Elem>>()
        for (const e of elems) {
          const m = e.node as MsgNode
          const list = byLabel.get(m.label) ?? []
          list.push(e)
          byLabel.set(m.label, list)
        }
        for (const [label, es] of byLabel) {
          const starts = es.map((e) => ({ node: (e.node as MsgNode).next, via: e.via }))
          const next = transition(starts, es.length > 1 ? `${label} from ${state.peer}` : undefined)
          state.options.set(label, { label, sites: new Set(es.map((e) => e.node.site)), next })
        }
        break
      }
    }
  }
  return { protocol, role, initial, states }
}

/** The peers a role still has steps with from a state on (its parallel branches' included), by state. */
const peersAheadOf = new WeakMap<LState, ReadonlySet<string>>()

/** The transitions out of a state. */
const successors = (s: LState): ReadonlyArray<Transition> => {
  switch (s.kind) {
    case "send":
    case "par":
    case "timeout":
      return [s.next]
    case "recv":
      return [...s.options.values()].map((o) => o.next)
    case "select":
      return [...s.branches.values()]
    case "rounds":
      return [s.again, s.done]
    case "end":
      return []
  }
}

/**
 * The peers a role at `state` may still send to or receive from: those a failure notice must
 * reach when the role fails there.
 */
export const peersAhead = (state: LState): ReadonlySet<string> => {
  const known = peersAheadOf.get(state)
  if (known !== undefined) return known
  const peers = new Set<string>()
  const seen = new Set<LState>()
  const todo: Array<LState> = [state]
  while (todo.length > 0) {
    const s = todo.pop()!
    if (seen.has(s)) continue
    seen.add(s)
    if (s.kind === "send" || s.kind === "recv") peers.add(s.peer)
    if (s.kind === "par") for (const b of s.branches) todo.push(b.automaton.initial.target)
    if (s.kind === "timeout") {
      for (const r of s.others) peers.add(r)
      if (!s.decides) peers.add(s.at)
      for (const part of [s.body, s.fallback]) if (part !== undefined) todo.push(part.initial.target)
    }
    for (const t of successors(s)) todo.push(t.target)
  }
  peersAheadOf.set(state, peers)
  return peers
}
