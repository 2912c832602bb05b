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
 * terminate. What is left of `U` is shared between paths that leave the same thing (a
 * projection whose branches meet again is walked once per residual, not once per path), the
 * walks into `U` use no recursion (a bound of thousands does not overflow the stack), and their
 * steps count against `maxPairs` with the pairs.
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
 *
 * @example
 * ```ts
 * import { Check } from "quadrille"
 *
 * const actions: ReadonlyArray<Check.Action> = [
 *   { _tag: "Send", peer: "C", label: "Ready" },
 *   { _tag: "Recv", peer: "A", labels: ["Ping"] }
 * ]
 * assert.deepStrictEqual(actions.map((a) => Check.describeAction(a)), ["sends Ready to C", "receives Ping from A"])
 * ```
 *
 * @since 0.1.0
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
 *
 * @example
 * ```ts
 * import { Check } from "quadrille"
 *
 * const { recv, send } = Check.local
 * const result = Check.asyncSubtype(recv("A", "Ping", send("C", "Ready")), send("C", "Ready", recv("A", "Ping")), { role: "B" })
 * const reason: Check.RefusalReason | undefined = result._tag === "NotSubtype" ? result.reason : undefined
 * assert.strictEqual(reason, "InputBeforeOutput")
 * ```
 *
 * @since 0.1.0
 */
export type RefusalReason = "InputBeforeOutput" | "OutputNotAllowed" | "UnhandledLabel" | "EndMismatch"

/**
 * The outcome of `asyncSubtype`.
 *
 * - `Subtype`: every behaviour of the optimised type is allowed; `pairs` is how many pairs of
 *   states were explored.
 * - `NotSubtype`: the first action that cannot be matched, with the optimised type's actions
 *   up to it (`path`) and a sentence (`message`).
 * - `Undecided`: the check would need to go further than `bound`, or more than `maxPairs`
 *   pairs and steps.
 * - `Unsupported`: a construct the check does not model (`Par`, `Timeout`, `Saga`), or a
 *   malformed local type (an unbound or unguarded recursion variable).
 *
 * @category models
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
 * // B tells C it is ready before it has the Ping: an output moved ahead of an input.
 * const result: Check.SubtypeResult = Check.asyncSubtype(send("C", "Ready", recv("A", "Ping")), Protocol.project(Relay, "B"), { role: "B" })
 * assert.strictEqual(result._tag, "Subtype")
 * ```
 *
 * @since 0.1.0
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
 * const options: Check.SubtypeOptions = { bound: 4, role: "B" }
 * assert.strictEqual(Check.asyncSubtype(send("C", "Ready", recv("A", "Ping")), Protocol.project(Relay, "B"), options)._tag, "Subtype")
 * ```
 *
 * @since 0.1.0
 */
export interface SubtypeOptions {
  /**
   * How many overtaken actions of the projection the optimised type may owe at once on a path
   * (see the module's documentation). Default 10.
   */
  readonly bound?: number | undefined
  /** The role's name, for the messages (default "the role"). */
  readonly role?: string | undefined
  /**
   * At most this many pairs of states are explored, counted together with the steps taken
   * inside the projection (each residual made, each action of the projection walked past);
   * then `Undecided`. Default 100 000.
   */
  readonly maxPairs?: number | undefined
}

/**
 * What is left of the projection: a state, or an action of it that the optimised type went past.
 * Residuals are made once per structure (`rid` names it), so equal ones are shared: a
 * projection whose branches meet again gives a graph of residuals, never a tree per path.
 */
type Residual =
  | { readonly k: "state"; readonly rid: number; readonly id: number }
  | { readonly k: "end"; readonly rid: number }
  | { readonly k: "in"; readonly rid: number; readonly peer: string; readonly branches: ReadonlyMap<string, Residual> }
  | {
    readonly k: "out"
    readonly rid: number
    readonly act: "Send" | "Choose" | "Round"
    readonly peer: string
    readonly branches: ReadonlyMap<string, Residual>
  }
type Expanded = Exclude<Residual, { k: "state" }>

class Refused {
  constructor(
    readonly reason: RefusalReason,
    readonly action: Action,
    readonly blocking: Action | undefined,
    readonly what: string
  ) {}
}
class TooDeep {}
const tooDeep = new TooDeep()
/** More than `maxPairs` pairs and steps. */
class TooMuch {}
class NotModelled {
  constructor(readonly construct: string) {}
}

const labelList = (labels: ReadonlyArray<string>) => (labels.length === 1 ? labels[0] : `one of ${labels.join(" | ")}`)

/**
 * An action in words, for a role: "receives Ping from A", "sends Ready to C".
 *
 * @category utils
 *
 * @example
 * ```ts
 * import { Check } from "quadrille"
 *
 * assert.strictEqual(Check.describeAction({ _tag: "Send", peer: "C", label: "Ready" }), "sends Ready to C")
 * ```
 *
 * @since 0.1.0
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

/** The same action as a gerund: "sending Ready to C". */
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
const firstAction = (r: Expanded): Action =>
  r.k === "end"
    ? { _tag: "End" }
    : r.k === "in"
    ? { _tag: "Recv", peer: r.peer, labels: [...r.branches.keys()] }
    : outAction(r.act, r.peer, [...r.branches.keys()].join(" | "))

/**
 * Whether a role may follow `optimised` where the protocol projects `projected` onto it,
 * under asynchronous communication (FIFO channels, sends do not wait): outputs may move ahead
 * of inputs, never inputs ahead of outputs; see the module's documentation for the rules and
 * the bound.
 *
 * @category checks
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
 * // B may send Ready before it receives Ping (outputs move ahead of inputs) ...
 * assert.strictEqual(Check.asyncSubtype(send("C", "Ready", recv("A", "Ping")), Protocol.project(Relay, "B"), { bound: 4, role: "B" })._tag, "Subtype")
 * // ... but not the other way round.
 * const refused = Check.asyncSubtype(recv("A", "Ping", send("C", "Ready")), send("C", "Ready", recv("A", "Ping")), { role: "B" })
 * assert.strictEqual(refused._tag === "NotSubtype" && refused.message, "B receives Ping from A before sending Ready to C: an input may not move ahead of an output")
 * ```
 *
 * @since 0.1.0
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

  /** The pairs (state of the optimised type, residual) met so far. */
  const seen = new Set<string>()
  // Residuals, one per structure.
  const made = new Map<string, Residual>()
  /** Steps taken inside the projection (residuals made, actions moved past others): counted with the pairs against `maxPairs`. */
  let work = 0
  const tick = () => {
    if (++work + seen.size > maxPairs) throw new TooMuch()
  }
  const branchKey = (branches: ReadonlyMap<string, Residual>) =>
    [...branches].map(([l, b]) => `${JSON.stringify(l)}:${b.rid}`).sort().join(",")
  const intern = <R extends Residual>(key: string, build: (rid: number) => R): R => {
    const known = made.get(key)
    if (known !== undefined) return known as R
    tick()
    const r = build(made.size)
    made.set(key, r)
    return r
  }
  const stateR = (id: number): Residual => intern(`s${id}`, (rid) => ({ k: "state", rid, id }))
  const endR: Expanded = { k: "end", rid: 0 }
  made.set("E", endR)
  const inR = (peer: string, branches: ReadonlyMap<string, Residual>): Expanded =>
    intern(`?${JSON.stringify(peer)}{${branchKey(branches)}}`, (rid) => ({ k: "in", rid, peer, branches }))
  const outR = (act: "Send" | "Choose" | "Round", peer: string, branches: ReadonlyMap<string, Residual>): Expanded =>
    intern(`!${act}${JSON.stringify(peer)}{${branchKey(branches)}}`, (rid) => ({ k: "out", rid, act, peer, branches }))

  const expanded = new Map<number, Expanded>()
  const expand = (r: Residual): Expanded => {
    if (r.k !== "state") return r
    const known = expanded.get(r.id)
    if (known !== undefined) return known
    const s: FsmState = u.states[r.id]
    let e: Expanded
    switch (s.kind) {
      case "end":
        e = endR
        break
      case "send":
        e = outR("Send", s.peer, new Map([[s.label, stateR(s.next)]]))
        break
      case "select":
        e = outR("Choose", s.choice, new Map([...s.branches].map(([b, n]) => [b, stateR(n)])))
        break
      case "rounds":
        e = outR("Round", s.param, new Map([["again", stateR(s.again)], ["done", stateR(s.done)]]))
        break
      case "recv":
        e = inR(s.peer, new Map([...s.options].map(([l, n]) => [l, stateR(n)])))
        break
      case "par":
        throw new NotModelled("Par")
      case "unsupported":
        throw new NotModelled(s.construct)
    }
    expanded.set(r.id, e)
    return e
  }

  const projectionDoes = (e: Expanded) => e.k === "end" ? "has ended" : `still ${describeAction(firstAction(e))}`

  /**
   * One walk into the projection, without recursion (a bound of thousands would overflow the
   * stack): `leaf` answers a residual at once or gives the action it moves past, whose branches
   * are walked one level deeper; `finish` puts their outcomes together. Outcomes are kept by
   * (residual, depth), so a residual reached along many paths is walked once.
   */
  const walk = <A>(
    memo: Map<string, A | Refused | TooDeep>,
    tag: string,
    r0: Residual,
    d0: number,
    leaf: (e: Expanded, depth: number) => A | Refused | TooDeep | undefined,
    finish: (e: Extract<Expanded, { k: "in" | "out" }>, done: ReadonlyMap<string, A>, refused: Refused | undefined, deep: boolean) => A | Refused | TooDeep
  ): A => {
    interface Frame {
      readonly key: string
      readonly depth: number
      readonly e: Extract<Expanded, { k: "in" | "out" }>
      readonly kids: ReadonlyArray<readonly [string, Residual]>
      i: number
      readonly done: Map<string, A>
      refused: Refused | undefined
      deep: boolean
    }
    const start = (r: Residual, depth: number): A | Refused | TooDeep | Frame => {
      const key = `${r.rid}|${tag}|${depth}`
      const known = memo.get(key)
      if (known !== undefined) return known
      const e = expand(r)
      const now = leaf(e, depth)
      if (now !== undefined) {
        memo.set(key, now)
        return now
      }
      if (e.k !== "in" && e.k !== "out") throw new Error("unreachable: an end is always a leaf")
      tick()
      return { key, depth, e, kids: [...e.branches], i: 0, done: new Map(), refused: undefined, deep: false }
    }
    const isFrame = (x: A | Refused | TooDeep | Frame): x is Frame =>
      typeof x === "object" && x !== null && "kids" in x && "done" in x && !(x instanceof Refused) && !(x instanceof TooDeep)
    const unwrap = (x: A | Refused | TooDeep): A => {
      if (x instanceof Refused || x instanceof TooDeep) throw x
      return x
    }
    const root = start(r0, d0)
    if (!isFrame(root)) return unwrap(root)
    const stack: Array<Frame> = [root]
    for (;;) {
      const f = stack[stack.length - 1]
      // An input of the projection needs every branch: one refusal refuses it. An output to
      // another peer keeps the branches that allow the action: one beyond the bound is undecided.
      const settled = f.e.k === "in" ? f.refused !== undefined : f.deep
      if (!settled && f.i < f.kids.length) {
        const x = start(f.kids[f.i][1], f.depth + 1)
        if (isFrame(x)) {
          stack.push(x)
          continue
        }
        deliver(f, x)
        continue
      }
      const out = finish(f.e, f.done, f.refused, f.deep)
      memo.set(f.key, out)
      stack.pop()
      if (stack.length === 0) return unwrap(out)
      deliver(stack[stack.length - 1], out)
    }
    function deliver(f: Frame, x: A | Refused | TooDeep) {
      const label = f.kids[f.i++][0]
      if (x instanceof Refused) f.refused ??= x
      else if (x instanceof TooDeep) f.deep = true
      else f.done.set(label, x)
    }
  }

  const outMemo = new Map<string, Residual | Refused | TooDeep>()
  /** What is left of `r` once the optimised type has done the output `act peer!label`. */
  const takeOut = (r: Residual, act: "Send" | "Choose" | "Round", peer: string, label: string): Residual => {
    const mine = outAction(act, peer, label)
    return walk<Residual>(outMemo, `${act}${JSON.stringify(peer)}${JSON.stringify(label)}`, r, 0, (e, depth) => {
      if (e.k === "end") {
        return new Refused("OutputNotAllowed", mine, { _tag: "End" }, `${role} ${describeAction(mine)} where the projection has ended`)
      }
      if (e.k === "out" && e.act === act && e.peer === peer) {
        const next = e.branches.get(label)
        if (next !== undefined) return next
        const what = act === "Send"
          ? `where the projection sends ${labelList([...e.branches.keys()])} to ${peer}`
          : `where the projection allows only ${[...e.branches.keys()].join(" | ")}`
        return new Refused("OutputNotAllowed", mine, firstAction(e), `${role} ${describeAction(mine)} ${what}`)
      }
      return depth + 1 > bound ? tooDeep : undefined
    }, (e, done, refused, deep) => {
      if (e.k === "in") return refused ?? (deep ? tooDeep : inR(e.peer, done))
      // An output of the projection to another peer (or another decision): the optimised type
      // commits to `mine` now, so only the branches of it that allow `mine` remain. Only a
      // branch that refuses `mine` is dropped: one that goes beyond the bound might allow it,
      // so then the answer is undecided (dropping it would narrow what is left and could refuse
      // wrongly later).
      if (deep) return tooDeep
      return done.size === 0 ? refused! : outR(e.act, e.peer, done)
    })
  }

  const inMemo = new Map<string, ReadonlyMap<string, Residual> | Refused | TooDeep>()
  /** The projection's continuations, by label, once the optimised type receives from `peer` (in its state `at`). */
  const takeIn = (r: Residual, at: number, peer: string, accepts: ReadonlySet<string>): ReadonlyMap<string, Residual> => {
    const mine: Action = { _tag: "Recv", peer, labels: [...accepts] }
    return walk<ReadonlyMap<string, Residual>>(inMemo, `${at}`, r, 0, (e, depth) => {
      if (e.k === "end") {
        return new Refused("EndMismatch", mine, { _tag: "End" }, `${role} ${describeAction(mine)} where the projection has ended`)
      }
      if (e.k === "out") {
        const blocking = firstAction(e)
        return new Refused(
          "InputBeforeOutput",
          mine,
          blocking,
          `${role} ${describeAction(mine)} before ${gerund(blocking)}: an input may not move ahead of an output`
        )
      }
      if (e.peer === peer) {
        for (const l of e.branches.keys()) {
          if (!accepts.has(l)) {
            return new Refused(
              "UnhandledLabel",
              mine,
              { _tag: "Recv", peer, labels: [l] },
              `${role} does not accept ${l} from ${peer}, which the projection may receive there`
            )
          }
        }
        return e.branches
      }
      // A receive from another peer: the optimised type takes this one first (another channel).
      return depth + 1 > bound ? tooDeep : undefined
    }, (e, done, refused, deep) => {
      if (refused !== undefined) return refused
      if (deep) return tooDeep
      const per = new Map<string, Map<string, Residual>>()
      for (const [l, next] of done) {
        for (const [m, rest] of next) {
          let byL = per.get(m)
          if (byL === undefined) per.set(m, byL = new Map())
          byL.set(l, rest)
        }
      }
      return new Map([...per].map(([m, byL]) => [m, inR(e.peer, byL)]))
    })
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
  const todo: Array<Pair> = []
  let head = 0
  const push = (p: Pair) => {
    const key = `${p.t}|${p.r.rid}`
    if (seen.has(key)) return
    seen.add(key)
    todo.push(p)
  }
  let current: Pair | undefined
  try {
    push({ t: t.initial, r: stateR(u.initial), parent: undefined, via: undefined })
    while (head < todo.length) {
      if (seen.size + work > maxPairs) throw new TooMuch()
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
          push({ t: s.next, r: takeOut(p.r, "Send", s.peer, s.label), parent: p, via: a })
          break
        }
        case "select":
          for (const [b, n] of s.branches) {
            push({ t: n, r: takeOut(p.r, "Choose", s.choice, b), parent: p, via: { _tag: "Choose", choice: s.choice, branch: b } })
          }
          break
        case "rounds":
          for (const [b, n] of [["again", s.again], ["done", s.done]] as const) {
            push({ t: n, r: takeOut(p.r, "Round", s.param, b), parent: p, via: { _tag: "Round", param: s.param, branch: b } })
          }
          break
        case "recv": {
          const next = takeIn(p.r, p.t, s.peer, new Set(s.options.keys()))
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
    if (x instanceof TooMuch) {
      return {
        _tag: "Undecided",
        bound,
        pairs: seen.size,
        path,
        message: `undecided within bound ${bound}: more than ${maxPairs} pairs of states and steps in the projection`
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
