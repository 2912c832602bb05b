/**
 * Bounded asynchronous subtyping of local types: may a role follow an optimised local type
 * (written by hand, `Check.local`) where the protocol projects another one onto it?
 *
 * Asynchronous subtyping (Mostrous–Yoshida; Ghilezan, Pantović, Prokić, Scalas, Yoshida,
 * "Precise subtyping for asynchronous multiparty sessions"; the bounded checker of Cutner,
 * Yoshida and Vassor's Rumpsteak) lets the optimised type `T` do its outputs earlier than
 * the projection `U`: a send (or a choice, which is the decision a send then carries) may move
 * ahead of receives from anyone and of sends to other peers, provided it is there on every
 * path it moves past. Nothing may move ahead of a send to the same peer (channels are FIFO),
 * and a receive may never move ahead of a send: the peer may be waiting for that send before
 * it sends what the role waits for. As in the synchronous rules, an internal choice may offer
 * fewer branches (the role decides; it just never takes the others) and an external choice
 * may accept more labels (those are never sent). A receive from one peer may also move ahead
 * of receives from other peers (different channels).
 *
 * The check walks `T` against `U` and keeps, for each point of `T`, what is left of `U`:
 * `U`'s state, wrapped in the receives and sends of `U` that `T` has overtaken (the actions
 * it still owes). **The bound `k`** is how many such overtaken actions it may owe at once on
 * one path: a stream that sends 5 values before its first `ready` needs `k ≥ 5`, a
 * double-buffering kernel that sends two `ready`s up front `k ≥ 3`. Beyond the bound the
 * answer is `Undecided` (asynchronous subtyping is undecidable in general), never a guess.
 * Pairs of (state of `T`, what is left of `U`) already seen are not explored again, so loops
 * terminate.
 *
 * Supported: send, receive, offer, select (choice), `rec`/`var`, the round check of a
 * `repeat` (treated like a choice every role makes alike) and `End`. `Par`, `Timeout` and
 * `Saga` are not: such a type gives `Unsupported`.
 *
 * @since 0.1.0
 */
import type { LocalType } from "../runtime/local.js"
import { type Fsm, type FsmState, MalformedLocalType, toFsm } from "./fsm.js"

/**
 * One action of a local type, as a result names it.
 *
 * @category models
 */
export type Action =
  | { readonly _tag: "Send"; readonly peer: string; readonly label: string }
  | { readonly _tag: "Recv"; readonly peer: string; readonly labels: ReadonlyArray<string> }
  | { readonly _tag: "Choose"; readonly choice: string; readonly branch: string }
  | { readonly _tag: "Round"; readonly param: string; readonly branch: string }
  | { readonly _tag: "End" }

/**
 * Why the optimised type is not a subtype of the projection:
 * - `InputBeforeOutput`: it receives where the projection first sends (`blocking`);
 * - `OutputNotAllowed`: it sends (or chooses) what the projection does not allow there;
 * - `UnhandledLabel`: the projection may receive a label there that it does not accept;
 * - `EndMismatch`: one of the two ends where the other still acts.
 *
 * @category models
 */
export type RefusalReason = "InputBeforeOutput" | "OutputNotAllowed" | "UnhandledLabel" | "EndMismatch"

/**
 * The outcome of `asyncSubtype`.
 *
 * - `Subtype`: every behaviour of the optimised type is allowed; `pairs` is how many pairs of
 *   states were explored.
 * - `NotSubtype`: the first action that cannot be matched, with the optimised type's actions
 *   up to it (`path`) and a sentence (`message`).
 * - `Undecided`: the check would need to go further than `bound` (or `maxPairs`).
 * - `Unsupported`: a construct the check does not model (`Par`, `Timeout`, `Saga`), or a
 *   malformed local type (an unbound or unguarded recursion variable).
 *
 * @category models
 */
export type SubtypeResult =
  | { readonly _tag: "Subtype"; readonly bound: number; readonly pairs: number }
  | {
    readonly _tag: "NotSubtype"
    readonly reason: RefusalReason
    /** The optimised type's action that cannot be matched. */
    readonly action: Action
    /** The projection's action that stands in the way (for `InputBeforeOutput`: the send). */
    readonly blocking: Action | undefined
    /** The optimised type's actions before `action`, on the path that fails. */
    readonly path: ReadonlyArray<Action>
    readonly bound: number
    readonly pairs: number
    readonly message: string
  }
  | {
    readonly _tag: "Undecided"
    readonly bound: number
    readonly pairs: number
    readonly path: ReadonlyArray<Action>
    readonly message: string
  }
  | { readonly _tag: "Unsupported"; readonly construct: string; readonly message: string }

/**
 * Options of `asyncSubtype`.
 *
 * @category models
 */
export interface SubtypeOptions {
  /**
   * How many overtaken actions of the projection the optimised type may owe at once on a path
   * (see the module's documentation). Default 10.
   */
  readonly bound?: number | undefined
  /** The role's name, for the messages (default "the role"). */
  readonly role?: string | undefined
  /** At most this many pairs of states are explored; then `Undecided`. Default 100 000. */
  readonly maxPairs?: number | undefined
}

/** What is left of the projection: a state, or an action of it that the optimised type went past. */
type Residual =
  | { readonly k: "state"; readonly id: number }
  | { readonly k: "end" }
  | { readonly k: "in"; readonly peer: string; readonly branches: ReadonlyMap<string, Residual> }
  | { readonly k: "out"; readonly act: "Send" | "Choose" | "Round"; readonly peer: string; readonly branches: ReadonlyMap<string, Residual> }

class Refused {
  constructor(
    readonly reason: RefusalReason,
    readonly action: Action,
    readonly blocking: Action | undefined,
    readonly what: string
  ) {}
}
class TooDeep {}
class NotModelled {
  constructor(readonly construct: string) {}
}

const labelList = (labels: ReadonlyArray<string>) => (labels.length === 1 ? labels[0] : `one of ${labels.join(" | ")}`)

/**
 * An action in words, for a role: "receives Ping from A", "sends Ready to C".
 *
 * @category utils
 */
export const describeAction = (a: Action): string => {
  switch (a._tag) {
    case "Send":
      return `sends ${a.label} to ${a.peer}`
    case "Recv":
      return `receives ${labelList(a.labels)} from ${a.peer}`
    case "Choose":
      return `chooses ${a.branch} of ${a.choice}`
    case "Round":
      return `decides ${a.branch} of repeat ${a.param}`
    case "End":
      return "ends"
  }
}

/** The same action as an infinitive: "sending Ready to C". */
const gerund = (a: Action): string => {
  switch (a._tag) {
    case "Send":
      return `sending ${a.label} to ${a.peer}`
    case "Recv":
      return `receiving ${labelList(a.labels)} from ${a.peer}`
    case "Choose":
      return `choosing ${a.branch} of ${a.choice}`
    case "Round":
      return `deciding ${a.branch} of repeat ${a.param}`
    case "End":
      return "ending"
  }
}

const outAction = (act: "Send" | "Choose" | "Round", peer: string, label: string): Action =>
  act === "Send"
    ? { _tag: "Send", peer, label }
    : act === "Choose"
    ? { _tag: "Choose", choice: peer, branch: label }
    : { _tag: "Round", param: peer, branch: label }

/** The first action of a residual (for messages). */
const firstAction = (r: Exclude<Residual, { k: "state" }>): Action =>
  r.k === "end"
    ? { _tag: "End" }
    : r.k === "in"
    ? { _tag: "Recv", peer: r.peer, labels: [...r.branches.keys()] }
    : outAction(r.act, r.peer, [...r.branches.keys()].join(" | "))

const keyOf = (() => {
  const memo = new WeakMap<Residual, string>()
  const key = (r: Residual): string => {
    if (r.k === "state") return `${r.id}`
    if (r.k === "end") return "E"
    const known = memo.get(r)
    if (known !== undefined) return known
    const inner = [...r.branches].map(([l, b]) => `${JSON.stringify(l)}:${key(b)}`).sort().join(",")
    const k = r.k === "in" ? `?${JSON.stringify(r.peer)}{${inner}}` : `!${r.act}${JSON.stringify(r.peer)}{${inner}}`
    memo.set(r, k)
    return k
  }
  return key
})()

/**
 * Whether a role may follow `optimised` where the protocol projects `projected` onto it,
 * under asynchronous communication (FIFO channels, sends do not wait): outputs may move ahead
 * of inputs, never inputs ahead of outputs; see the module's documentation for the rules and
 * the bound.
 *
 * @example
 * ```ts
 * import { Check, Protocol } from "quadrille"
 * const { send, recv } = Check.local
 * // the projection: Recv(A, Ping).Send(C, Ready).End
 * Check.asyncSubtype(send("C", "Ready", recv("A", "Ping")), Protocol.project(P, "B"), { bound: 4, role: "B" })
 * // { _tag: "Subtype", ... }
 * Check.asyncSubtype(recv("A", "Ping", send("C", "Ready")), send("C", "Ready", recv("A", "Ping")), { role: "B" })
 * // { _tag: "NotSubtype", reason: "InputBeforeOutput",
 * //   message: "B receives Ping from A before sending Ready to C: an input may not move ahead of an output" }
 * ```
 *
 * @category checks
 */
export const asyncSubtype = (optimised: LocalType, projected: LocalType, options: SubtypeOptions = {}): SubtypeResult => {
  const bound = options.bound ?? 10
  const role = options.role ?? "the role"
  const maxPairs = options.maxPairs ?? 100_000
  let t: Fsm
  let u: Fsm
  try {
    t = toFsm(optimised)
    u = toFsm(projected)
  } catch (e) {
    if (e instanceof MalformedLocalType) return { _tag: "Unsupported", construct: "malformed", message: e.message }
    throw e
  }

  const expand = (r: Residual): Exclude<Residual, { k: "state" }> => {
    if (r.k !== "state") return r
    const s: FsmState = u.states[r.id]
    const st = (id: number): Residual => ({ k: "state", id })
    switch (s.kind) {
      case "end":
        return { k: "end" }
      case "send":
        return { k: "out", act: "Send", peer: s.peer, branches: new Map([[s.label, st(s.next)]]) }
      case "select":
        return { k: "out", act: "Choose", peer: s.choice, branches: new Map([...s.branches].map(([b, n]) => [b, st(n)])) }
      case "rounds":
        return { k: "out", act: "Round", peer: s.param, branches: new Map([["again", st(s.again)], ["done", st(s.done)]]) }
      case "recv":
        return { k: "in", peer: s.peer, branches: new Map([...s.options].map(([l, n]) => [l, st(n)])) }
      case "par":
        throw new NotModelled("Par")
      case "unsupported":
        throw new NotModelled(s.construct)
    }
  }

  const projectionDoes = (e: Exclude<Residual, { k: "state" }>) =>
    e.k === "end" ? "has ended" : `still ${describeAction(firstAction(e))}`

  /** What is left of `r` once the optimised type has done the output `act peer!label`. */
  const takeOut = (r: Residual, act: "Send" | "Choose" | "Round", peer: string, label: string, depth: number): Residual => {
    const e = expand(r)
    const mine = outAction(act, peer, label)
    if (e.k === "end") {
      throw new Refused("OutputNotAllowed", mine, { _tag: "End" }, `${role} ${describeAction(mine)} where the projection has ended`)
    }
    if (e.k === "out" && e.act === act && e.peer === peer) {
      const next = e.branches.get(label)
      if (next !== undefined) return next
      const what = act === "Send"
        ? `where the projection sends ${labelList([...e.branches.keys()])} to ${peer}`
        : `where the projection allows only ${[...e.branches.keys()].join(" | ")}`
      throw new Refused("OutputNotAllowed", mine, firstAction(e), `${role} ${describeAction(mine)} ${what}`)
    }
    if (depth + 1 > bound) throw new TooDeep()
    if (e.k === "in") {
      const branches = new Map<string, Residual>()
      for (const [l, b] of e.branches) branches.set(l, takeOut(b, act, peer, label, depth + 1))
      return { k: "in", peer: e.peer, branches }
    }
    // An output of the projection to another peer (or another decision): the optimised type
    // commits to `mine` now, so only the branches of it that allow `mine` remain. Only a branch
    // that refuses `mine` is dropped: one that goes beyond the bound might allow it, so then the
    // answer is undecided (dropping it would narrow what is left and could refuse wrongly later).
    const branches = new Map<string, Residual>()
    let first: Refused | undefined
    for (const [l, b] of e.branches) {
      try {
        branches.set(l, takeOut(b, act, peer, label, depth + 1))
      } catch (x) {
        if (!(x instanceof Refused)) throw x
        if (first === undefined) first = x
      }
    }
    if (branches.size === 0) throw first!
    return { k: "out", act: e.act, peer: e.peer, branches }
  }

  /** The projection's continuations, by label, once the optimised type receives from `peer`. */
  const takeIn = (r: Residual, peer: string, accepts: ReadonlySet<string>, depth: number): Map<string, Residual> => {
    const e = expand(r)
    const mine: Action = { _tag: "Recv", peer, labels: [...accepts] }
    if (e.k === "end") {
      throw new Refused("EndMismatch", mine, { _tag: "End" }, `${role} ${describeAction(mine)} where the projection has ended`)
    }
    if (e.k === "out") {
      const blocking = firstAction(e)
      throw new Refused(
        "InputBeforeOutput",
        mine,
        blocking,
        `${role} ${describeAction(mine)} before ${gerund(blocking)}: an input may not move ahead of an output`
      )
    }
    if (e.peer === peer) {
      for (const l of e.branches.keys()) {
        if (!accepts.has(l)) {
          throw new Refused(
            "UnhandledLabel",
            mine,
            { _tag: "Recv", peer, labels: [l] },
            `${role} does not accept ${l} from ${peer}, which the projection may receive there`
          )
        }
      }
      return new Map(e.branches)
    }
    // A receive from another peer: the optimised type takes this one first (another channel).
    if (depth + 1 > bound) throw new TooDeep()
    const per = new Map<string, Map<string, Residual>>()
    for (const [l, b] of e.branches) {
      for (const [m, rest] of takeIn(b, peer, accepts, depth + 1)) {
        let byL = per.get(m)
        if (byL === undefined) per.set(m, byL = new Map())
        byL.set(l, rest)
      }
    }
    return new Map([...per].map(([m, byL]) => [m, { k: "in", peer: e.peer, branches: byL } as Residual]))
  }

  interface Pair {
    readonly t: number
    readonly r: Residual
    readonly parent: Pair | undefined
    readonly via: Action | undefined
  }
  const pathOf = (p: Pair | undefined): Array<Action> => {
    const out: Array<Action> = []
    for (let q = p; q !== undefined && q.via !== undefined; q = q.parent) out.push(q.via)
    return out.reverse()
  }
  const seen = new Set<string>()
  const todo: Array<Pair> = [{ t: t.initial, r: { k: "state", id: u.initial }, parent: undefined, via: undefined }]
  let head = 0
  const push = (p: Pair) => {
    const key = `${p.t}|${keyOf(p.r)}`
    if (seen.has(key)) return
    seen.add(key)
    todo.push(p)
  }
  seen.add(`${t.initial}|${u.initial}`)
  let current: Pair | undefined
  try {
    while (head < todo.length) {
      if (seen.size > maxPairs) {
        return {
          _tag: "Undecided",
          bound,
          pairs: seen.size,
          path: pathOf(todo[todo.length - 1]),
          message: `undecided within bound ${bound}: more than ${maxPairs} pairs of states`
        }
      }
      // Breadth first, so that a failure comes with a shortest path.
      const p = todo[head++]
      current = p
      const s = t.states[p.t]
      switch (s.kind) {
        case "end": {
          const e = expand(p.r)
          if (e.k !== "end") {
            throw new Refused("EndMismatch", { _tag: "End" }, firstAction(e), `${role} ends where the projection ${projectionDoes(e)}`)
          }
          break
        }
        case "send": {
          const a: Action = { _tag: "Send", peer: s.peer, label: s.label }
          push({ t: s.next, r: takeOut(p.r, "Send", s.peer, s.label, 0), parent: p, via: a })
          break
        }
        case "select":
          for (const [b, n] of s.branches) {
            push({ t: n, r: takeOut(p.r, "Choose", s.choice, b, 0), parent: p, via: { _tag: "Choose", choice: s.choice, branch: b } })
          }
          break
        case "rounds":
          for (const [b, n] of [["again", s.again], ["done", s.done]] as const) {
            push({ t: n, r: takeOut(p.r, "Round", s.param, b, 0), parent: p, via: { _tag: "Round", param: s.param, branch: b } })
          }
          break
        case "recv": {
          const next = takeIn(p.r, s.peer, new Set(s.options.keys()), 0)
          for (const [l, rest] of next) {
            push({ t: s.options.get(l)!, r: rest, parent: p, via: { _tag: "Recv", peer: s.peer, labels: [l] } })
          }
          break
        }
        case "par":
          throw new NotModelled("Par")
        case "unsupported":
          throw new NotModelled(s.construct)
      }
    }
  } catch (x) {
    const path = pathOf(current)
    if (x instanceof Refused) {
      return {
        _tag: "NotSubtype",
        reason: x.reason,
        action: x.action,
        blocking: x.blocking,
        path,
        bound,
        pairs: seen.size,
        message: x.what
      }
    }
    if (x instanceof TooDeep) {
      return {
        _tag: "Undecided",
        bound,
        pairs: seen.size,
        path,
        message: `undecided within bound ${bound}: ${role} would owe the projection more than ${bound} overtaken actions` +
          (path.length > 0 ? ` (after ${path.map(describeAction).join(", ")})` : "")
      }
    }
    if (x instanceof NotModelled) {
      return {
        _tag: "Unsupported",
        construct: x.construct,
        message: `asynchronous subtyping does not model ${x.construct} (only send, receive, choice, rec, repeat rounds and end)`
      }
    }
    throw x
  }
  return { _tag: "Subtype", bound, pairs: seen.size }
}
