/**
 * Property-based testing of protocols: fast-check arbitraries of global protocols, built
 * through the public builder from a generated tree, and generated implementations of every
 * role that drive any such protocol to its end.
 *
 * @since 0.1.0
 */
import { Effect, Either, Schema } from "effect"
import fc from "fast-check"
import type { ProjectionError } from "../effects/errors.js"
import * as Protocol from "../protocol/index.js"
import * as Role from "../runtime/Role.js"

// ---------------------------------------------------------------------------------------------
// Trees
// ---------------------------------------------------------------------------------------------

/**
 * A step of a generated protocol, as plain data: the tree the protocol was built from.
 *
 * @category models
 */
export type TreeStep =
  | { readonly _tag: "Msg"; readonly from: string; readonly to: string; readonly label: string }
  | { readonly _tag: "Choice"; readonly at: string; readonly name: string; readonly branches: ReadonlyArray<TreeBranch> }
  | { readonly _tag: "Loop"; readonly name: string; readonly body: ReadonlyArray<TreeStep> }
  | { readonly _tag: "Recur"; readonly name: string }
  | { readonly _tag: "End" }

/**
 * A branch of a generated choice.
 *
 * @category models
 */
export interface TreeBranch {
  readonly label: string
  readonly steps: ReadonlyArray<TreeStep>
}

/**
 * How a free tree departs from the well-formed-by-construction scheme, counted per
 * (choice, role): roles never told the branch, roles told by another role than the chooser,
 * roles told with a label shared by every branch, choices whose messages come after other
 * steps of the branch, and choices without a branch that stays out of `recur`.
 *
 * @category models
 */
export interface Perturbations {
  readonly uninformed: number
  readonly relayed: number
  readonly sharedLabel: number
  readonly lateInform: number
  readonly noSafeBranch: number
}

/**
 * A generated global protocol as data: roles, labels (every payload is a `Schema.Number`)
 * and steps. Choice and loop names are unique in the whole tree.
 *
 * @category models
 */
export interface ProtocolTree {
  readonly name: string
  readonly roles: ReadonlyArray<string>
  readonly labels: ReadonlyArray<string>
  readonly steps: ReadonlyArray<TreeStep>
  readonly perturbations: Perturbations
}

/** The catalogue of a generated protocol: every label carries a number. @category models */
export type NumberCatalogue = { readonly [label: string]: typeof Schema.Number }

/** A protocol built from a `ProtocolTree`. @category models */
export type GeneratedProtocol = Protocol.Protocol<string, string, NumberCatalogue, unknown>

/**
 * What a driver needs to know about a choice: who makes it, its branches, and the branches
 * on a shortest path to the end of the protocol (taking one of them at every choice makes
 * every run finish).
 *
 * @category models
 */
export interface ChoiceInfo {
  readonly at: string
  readonly branches: ReadonlyArray<string>
  readonly towardEnd: ReadonlyArray<string>
}

/**
 * A generated protocol with the tree it was built from and its choices by name. Prints as
 * the `Protocol.make` call that builds it (fast-check uses this for counterexamples).
 *
 * @category models
 */
export interface Generated {
  readonly tree: ProtocolTree
  readonly protocol: GeneratedProtocol
  readonly choices: Readonly<Record<string, ChoiceInfo>>
  readonly [fc.toStringMethod]: () => string
}

/** Counts the steps of a tree. @category utils */
export const size = (steps: ReadonlyArray<TreeStep>): number =>
  steps.reduce((n, s) =>
    n + 1 + (s._tag === "Choice"
      ? s.branches.reduce((m, b) => m + size(b.steps), 0)
      : s._tag === "Loop"
      ? size(s.body)
      : 0), 0)

/** The roles that take part in some step of `steps` (send, receive or choose). @category utils */
export const actors = (steps: ReadonlyArray<TreeStep>, into: Set<string> = new Set()): Set<string> => {
  for (const s of steps) {
    switch (s._tag) {
      case "Msg":
        into.add(s.from).add(s.to)
        break
      case "Choice":
        into.add(s.at)
        for (const b of s.branches) actors(b.steps, into)
        break
      case "Loop":
        actors(s.body, into)
        break
    }
  }
  return into
}

/**
 * How a sequence can be left: `"fall"` (it runs to its end), `"end"`, or `"recur:<loop>"`.
 */
const exitsOf = (steps: ReadonlyArray<TreeStep>): Set<string> => {
  const out = new Set<string>()
  for (const s of steps) {
    switch (s._tag) {
      case "Msg":
        continue
      case "End":
        out.add("end")
        return out
      case "Recur":
        out.add(`recur:${s.name}`)
        return out
      case "Choice": {
        let falls = false
        for (const b of s.branches) {
          for (const e of exitsOf(b.steps)) {
            if (e === "fall") falls = true
            else out.add(e)
          }
        }
        if (!falls) return out
        continue
      }
      case "Loop": {
        let falls = false
        for (const e of exitsOf(s.body)) {
          if (e === "fall") falls = true
          else if (e !== `recur:${s.name}`) out.add(e)
        }
        if (!falls) return out
        continue
      }
    }
  }
  out.add("fall")
  return out
}

// ---------------------------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------------------------

const q = (s: string) => JSON.stringify(s)

/** The builder calls of `steps` on `v`, one per line, each line indented by `indent`. */
const seqCode = (steps: ReadonlyArray<TreeStep>, v: string, indent: string): string => {
  if (steps.length === 0) return v
  const lambda = (body: ReadonlyArray<TreeStep>, at: string) =>
    body.length === 0 ? "(b) => b" : `(b) =>\n${at}  ${seqCode(body, "b", at + "    ")}`
  const lines = steps.map((s) => {
    switch (s._tag) {
      case "Msg":
        return `${indent}.msg(${q(s.from)}, ${q(s.to)}, ${q(s.label)})`
      case "Recur":
        return `${indent}.recur(${q(s.name)})`
      case "End":
        return `${indent}.end()`
      case "Loop":
        return `${indent}.loop(${q(s.name)}, ${lambda(s.body, indent)})`
      case "Choice": {
        const inner = indent + "  "
        const branches = s.branches.map((b) => `${inner}${b.label}: ${lambda(b.steps, inner)}`)
        return `${indent}.choice(${q(s.at)}, ${q(s.name)}, {\n${branches.join(",\n")}\n${indent}})`
      }
    }
  })
  return `${v}\n${lines.join("\n")}`
}

/**
 * The TypeScript source of the `Protocol.make` call that builds a tree: paste it into a test
 * to reproduce a counterexample.
 *
 * @category utils
 */
export const toCode = (tree: ProtocolTree): string => {
  const messages = tree.labels.map((l) => `${q(l)}: Schema.Number`).join(", ")
  return `Protocol.make(${q(tree.name)}, {\n  roles: [${tree.roles.map(q).join(", ")}],\n  messages: { ${messages} }\n}, (g) =>\n  ${
    seqCode(tree.steps, "g", "    ")
  })`
}

// ---------------------------------------------------------------------------------------------
// Building
// ---------------------------------------------------------------------------------------------

/** The builder without its type-level bookkeeping, for steps known only at run time. */
interface LooseBuilder {
  msg(from: string, to: string, label: string): LooseBuilder
  choice(at: string, name: string, branches: Record<string, (b: LooseBuilder) => LooseBuilder>): LooseBuilder
  loop(name: string, body: (b: LooseBuilder) => LooseBuilder): LooseBuilder
  recur(name: string): LooseBuilder
  end(): LooseBuilder
}

const emit = (b: LooseBuilder, steps: ReadonlyArray<TreeStep>): LooseBuilder =>
  steps.reduce((g: LooseBuilder, s): LooseBuilder => {
    switch (s._tag) {
      case "Msg":
        return g.msg(s.from, s.to, s.label)
      case "Choice":
        return g.choice(s.at, s.name, Object.fromEntries(s.branches.map((br) => [br.label, (x: LooseBuilder) => emit(x, br.steps)])))
      case "Loop":
        return g.loop(s.name, (x) => emit(x, s.body))
      case "Recur":
        return g.recur(s.name)
      case "End":
        return g.end()
    }
  }, b)

/** The catalogue of a tree: `Schema.Number` for every label. @category utils */
export const catalogue = (tree: ProtocolTree): NumberCatalogue =>
  Object.fromEntries(tree.labels.map((l) => [l, Schema.Number]))

/**
 * Builds a tree with `Protocol.makeEither`, through the public builder.
 *
 * @category constructors
 */
export const build = (tree: ProtocolTree): Either.Either<GeneratedProtocol, ProjectionError> =>
  Protocol.makeEither(
    tree.name,
    { roles: tree.roles, messages: catalogue(tree) },
    (g) => emit(g as unknown as LooseBuilder, tree.steps) as unknown as Protocol.Built<unknown>
  )

// ---------------------------------------------------------------------------------------------
// Driving: a graph of the tree, distances to the end, and the replay of a run
// ---------------------------------------------------------------------------------------------

type Node =
  | { readonly k: "msg"; readonly from: string; readonly to: string; readonly label: string; readonly next: Node }
  | { readonly k: "choice"; readonly at: string; readonly name: string; readonly branches: Array<readonly [string, Node]> }
  | { readonly k: "loop"; readonly name: string; body: Node }
  | { readonly k: "recur"; readonly loop: { body: Node } }
  | { readonly k: "end" }

/** The tree as a graph with the semantics of the builder: a loop body that ends leaves the loop. */
const graphOf = (steps: ReadonlyArray<TreeStep>) => {
  const nodes: Array<Node> = []
  const end: Node = { k: "end" }
  nodes.push(end)
  const seq = (steps: ReadonlyArray<TreeStep>, k: Node, loops: ReadonlyMap<string, { body: Node }>): Node => {
    let next = k
    for (let i = steps.length - 1; i >= 0; i--) next = step(steps[i], next, loops)
    return next
  }
  const step = (s: TreeStep, k: Node, loops: ReadonlyMap<string, { body: Node }>): Node => {
    let n: Node
    switch (s._tag) {
      case "Msg":
        n = { k: "msg", from: s.from, to: s.to, label: s.label, next: k }
        break
      case "Choice":
        n = { k: "choice", at: s.at, name: s.name, branches: s.branches.map((b) => [b.label, seq(b.steps, k, loops)] as const) }
        break
      case "Loop": {
        const l: Node & { k: "loop" } = { k: "loop", name: s.name, body: end }
        l.body = seq(s.body, k, new Map(loops).set(s.name, l))
        n = l
        break
      }
      case "Recur": {
        const target = loops.get(s.name)
        if (target === undefined) throw new Error(`recur('${s.name}') outside its loop`)
        n = { k: "recur", loop: target }
        break
      }
      case "End":
        return end
    }
    nodes.push(n)
    return n
  }
  return { start: seq(steps, end, new Map()), nodes }
}

const successors = (n: Node): ReadonlyArray<Node> => {
  switch (n.k) {
    case "msg":
      return [n.next]
    case "choice":
      return n.branches.map(([, b]) => b)
    case "loop":
      return [n.body]
    case "recur":
      return [n.loop.body]
    case "end":
      return []
  }
}

/**
 * Every choice of a tree with, for each, the branches on a shortest path to the end. A branch
 * from which the end cannot be reached is never listed; `towardEnd` is empty only when no
 * branch reaches the end (never in a protocol that `Protocol.make` accepts).
 *
 * @category utils
 */
export const choicesOf = (tree: ProtocolTree): Record<string, ChoiceInfo> => {
  const { nodes } = graphOf(tree.steps)
  const d = new Map<Node, number>(nodes.map((n) => [n, n.k === "end" ? 0 : Infinity]))
  for (let changed = true; changed;) {
    changed = false
    for (const n of nodes) {
      const best = Math.min(...successors(n).map((s) => d.get(s)!)) + 1
      if (best < d.get(n)!) {
        d.set(n, best)
        changed = true
      }
    }
  }
  const out: Record<string, ChoiceInfo> = {}
  for (const n of nodes) {
    if (n.k !== "choice") continue
    const best = Math.min(...n.branches.map(([, b]) => d.get(b)!))
    out[n.name] = {
      at: n.at,
      branches: n.branches.map(([l]) => l),
      towardEnd: best === Infinity ? [] : n.branches.filter(([, b]) => d.get(b) === best).map(([l]) => l)
    }
  }
  return out
}

/**
 * A message of a run: `from` sent `label` to `to`.
 *
 * @category models
 */
export interface TraceMessage {
  readonly from: string
  readonly to: string
  readonly label: string
}

/**
 * A decision a role made at a choice.
 *
 * @category models
 */
export interface Decision {
  readonly choice: string
  readonly branch: string
}

/**
 * Replays the global protocol given every role's decisions, in the order each made them: the
 * messages of the run in global order, or what went wrong (a role decided at another choice
 * than the protocol reaches, took a branch that does not exist, made decisions the run never
 * reached, or the replay exceeded `maxSteps`).
 *
 * @category utils
 */
export const replay = (
  tree: ProtocolTree,
  decisions: Readonly<Record<string, ReadonlyArray<Decision>>>,
  maxSteps = 100_000
): Either.Either<ReadonlyArray<TraceMessage>, string> => {
  const { start } = graphOf(tree.steps)
  const used = new Map<string, number>()
  const messages: Array<TraceMessage> = []
  let n = start
  for (let steps = 0; n.k !== "end"; steps++) {
    if (steps > maxSteps) return Either.left(`the replay did not end within ${maxSteps} steps`)
    switch (n.k) {
      case "msg":
        messages.push({ from: n.from, to: n.to, label: n.label })
        n = n.next
        break
      case "loop":
        n = n.body
        break
      case "recur":
        n = n.loop.body
        break
      case "choice": {
        const i = used.get(n.at) ?? 0
        const d = decisions[n.at]?.[i]
        if (d === undefined) return Either.left(`${n.at} made no decision at choice '${n.name}' (its decision #${i})`)
        if (d.choice !== n.name) {
          return Either.left(`${n.at}'s decision #${i} is at choice '${d.choice}', but the protocol is at '${n.name}'`)
        }
        const b = n.branches.find(([l]) => l === d.branch)
        if (b === undefined) return Either.left(`${n.at} took branch '${d.branch}' that choice '${n.name}' does not have`)
        used.set(n.at, i + 1)
        n = b[1]
        break
      }
    }
  }
  for (const [role, ds] of Object.entries(decisions)) {
    const i = used.get(role) ?? 0
    if (ds.length !== i) return Either.left(`${role} made ${ds.length} decisions but the protocol reached only ${i}`)
  }
  return Either.right(messages)
}

/**
 * Builds a tree into a `Generated`, or throws an `Error` with the rejection and the code of the
 * tree.
 *
 * @category constructors
 */
export const generated = (tree: ProtocolTree): Generated => {
  const built = build(tree)
  if (Either.isLeft(built)) {
    throw new Error(`the generated protocol was rejected: ${built.left.message}\n${toCode(tree)}`)
  }
  return fromBuilt(tree, built.right)
}

const fromBuilt = (tree: ProtocolTree, protocol: GeneratedProtocol): Generated => ({
  tree,
  protocol,
  choices: choicesOf(tree),
  [fc.toStringMethod]: () => toCode(tree)
})

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

/**
 * Bounds of the generated protocols.
 *
 * @category models
 */
export interface ArbitraryOptions {
  /** Fewest roles (at least 2; default 2). */
  readonly minRoles?: number
  /** Most roles (at most 8; default 5). */
  readonly maxRoles?: number
  /** Nesting depth of choices and loops (default 3). */
  readonly maxDepth?: number
  /** Most steps in one sequence before a choice's messages are added (default 3). */
  readonly maxSteps?: number
  /** Most branches of a choice (default 3). */
  readonly maxBranches?: number
  /** Labels of plain messages (default 3). */
  readonly labels?: number
  /** Largest tree, in steps (default 120). */
  readonly maxSize?: number
}

interface RawMsg {
  readonly from: number
  readonly to: number
  readonly label: number
}

type RawTerm =
  | { readonly t: "none" }
  | { readonly t: "end" }
  | { readonly t: "recur"; readonly loop: number; readonly guard: RawMsg }

interface RawInform {
  readonly mode: "direct" | "relay" | "skip" | "shared"
  readonly via: number
}

type RawItem =
  | { readonly t: "msg"; readonly m: RawMsg }
  | {
    readonly t: "choice"
    readonly at: number
    /** The branch that must stay out of `recur`; negative for none (free trees only). */
    readonly safe: number
    readonly branches: ReadonlyArray<RawSeq>
    /** Messages that end every branch alike. */
    readonly common: ReadonlyArray<RawMsg>
    /** How each role learns the branch (free trees only). */
    readonly plan: ReadonlyArray<RawInform>
    /** Inform after the branch's own steps (free trees only). */
    readonly late: boolean
  }
  | {
    readonly t: "loop"
    readonly body: RawSeq
    /** A choice that ends the body (before its `recur`, if any), where loops usually go round. */
    readonly tail: RawItem | undefined
    /** The body itself may end with `recur` (free trees only). */
    readonly bodyRecur: boolean
  }

interface RawSeq {
  readonly items: ReadonlyArray<RawItem>
  readonly term: RawTerm
}

const ROLE_NAMES = ["A", "B", "C", "D", "E", "F", "G", "H"]
const BRANCH_NAMES = ["x", "y", "z", "w", "v", "u"]
const LABEL_NAMES = ["a", "b", "c", "d", "e", "f", "g", "h"]

const config = (o: ArbitraryOptions) => ({
  minRoles: Math.max(2, o.minRoles ?? 2),
  maxRoles: Math.min(8, Math.max(o.minRoles ?? 2, o.maxRoles ?? 5)),
  maxDepth: o.maxDepth ?? 3,
  maxSteps: o.maxSteps ?? 3,
  maxBranches: Math.min(BRANCH_NAMES.length, o.maxBranches ?? 3),
  labels: Math.min(LABEL_NAMES.length, Math.max(1, o.labels ?? 3)),
  maxSize: o.maxSize ?? 120
})

type Config = ReturnType<typeof config>

const rawArbitrary = (c: Config, free: boolean): fc.Arbitrary<RawSeq> => {
  const msg: fc.Arbitrary<RawMsg> = fc.record({ from: fc.nat(7), to: fc.nat(6), label: fc.nat(c.labels - 1) })
  const term: fc.Arbitrary<RawTerm> = fc.oneof(
    { weight: 4, arbitrary: fc.constant({ t: "none" as const }) },
    { weight: 1, arbitrary: fc.constant({ t: "end" as const }) },
    { weight: 5, arbitrary: fc.record({ t: fc.constant("recur" as const), loop: fc.nat(3), guard: msg }) }
  )
  const inform: fc.Arbitrary<RawInform> = fc.record({
    mode: fc.oneof(
      { weight: 4, arbitrary: fc.constant("direct" as const) },
      { weight: 3, arbitrary: fc.constant("relay" as const) },
      { weight: 2, arbitrary: fc.constant("skip" as const) },
      { weight: 1, arbitrary: fc.constant("shared" as const) }
    ),
    via: fc.nat(7)
  })
  const msgItem: fc.Arbitrary<RawItem> = msg.map((m) => ({ t: "msg" as const, m }))
  let item: fc.Arbitrary<RawItem> = msgItem
  for (let d = 1; d <= c.maxDepth; d++) {
    const inner: fc.Arbitrary<RawSeq> = fc.record({ items: fc.array(item, { maxLength: c.maxSteps }), term })
    const plain = {
      t: fc.constant("choice" as const),
      at: fc.nat(7),
      safe: fc.nat(5),
      branches: fc.array(inner, { minLength: 1, maxLength: c.maxBranches }),
      common: fc.oneof(
        { weight: 3, arbitrary: fc.constant([]) },
        { weight: 1, arbitrary: fc.array(msg, { minLength: 1, maxLength: 2 }) }
      ),
      plan: fc.constant([]),
      late: fc.constant(false)
    }
    // A free tree departs from the scheme at about one choice in three.
    const perturbed = {
      ...plain,
      safe: fc.oneof({ weight: 4, arbitrary: fc.nat(5) }, { weight: 1, arbitrary: fc.constant(-1) }),
      plan: fc.array(inform, { minLength: 8, maxLength: 8 }),
      late: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) })
    }
    const choice: fc.Arbitrary<RawItem> = free
      ? fc.oneof({ weight: 2, arbitrary: fc.record(plain) }, { weight: 1, arbitrary: fc.record(perturbed) })
      : fc.record(plain)
    const loop: fc.Arbitrary<RawItem> = fc.record({
      t: fc.constant("loop" as const),
      body: inner,
      tail: fc.option(choice, { freq: 3, nil: undefined }),
      bodyRecur: free
        ? fc.oneof({ weight: 8, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) })
        : fc.constant(false)
    })
    item = fc.oneof({ weight: 4, arbitrary: msgItem }, { weight: 2, arbitrary: choice }, { weight: 2, arbitrary: loop })
  }
  return fc.record({ items: fc.array(item, { minLength: 1, maxLength: c.maxSteps + 1 }), term })
}

/** Turns a raw shape into a tree: names, roles, the messages that tell each role the branch. */
const normalize = (raw: RawSeq, nRoles: number, c: Config, name: string): ProtocolTree => {
  const roles = ROLE_NAMES.slice(0, nRoles)
  const labels = new Set<string>()
  const counts = { uninformed: 0, relayed: 0, sharedLabel: 0, lateInform: 0, noSafeBranch: 0 }
  let choices = 0
  let loops = 0
  const label = (l: string) => {
    labels.add(l)
    return l
  }
  const msg = (m: RawMsg): TreeStep => {
    const from = m.from % nRoles
    const to = (from + 1 + (m.to % (nRoles - 1))) % nRoles
    return { _tag: "Msg", from: roles[from], to: roles[to], label: label(LABEL_NAMES[m.label % c.labels]) }
  }
  const term = (t: RawTerm, enclosing: ReadonlyArray<string>, mayRecur: boolean): ReadonlyArray<TreeStep> => {
    if (t.t === "end") return [{ _tag: "End" }]
    if (t.t === "recur" && mayRecur && enclosing.length > 0) return [{ _tag: "Recur", name: enclosing[t.loop % enclosing.length] }]
    return []
  }
  /** A message before every `recur`, so that each loop is guarded. */
  const guarded = (steps: ReadonlyArray<TreeStep>, t: RawTerm): ReadonlyArray<TreeStep> => {
    const last = steps[steps.length - 1]
    if (last?._tag !== "Recur" || t.t !== "recur" || steps.some((s) => s._tag === "Msg")) return steps
    return [...steps.slice(0, -1), msg(t.guard), last]
  }
  const seq = (s: RawSeq, enclosing: ReadonlyArray<string>, mayRecur: boolean): ReadonlyArray<TreeStep> => {
    const items = s.items.map((i) => item(i, enclosing))
    return guarded([...items, ...term(s.term, enclosing, mayRecur)], s.term)
  }
  const item = (i: RawItem, enclosing: ReadonlyArray<string>): TreeStep => {
    switch (i.t) {
      case "msg":
        return msg(i.m)
      case "loop": {
        const name = `l${loops++}`
        const body = i.tail === undefined ? i.body : { items: [...i.body.items, i.tail], term: i.body.term }
        return { _tag: "Loop", name, body: seq(body, [...enclosing, name], i.bodyRecur) }
      }
      case "choice": {
        const name = `c${choices++}`
        const at = roles[i.at % nRoles]
        const n = i.branches.length
        const safe = i.safe < 0 ? -1 : i.safe % n
        if (safe < 0) counts.noSafeBranch++
        const common = i.common.map(msg)
        const bodies = i.branches.map((b, j) => ({
          items: b.items.map((x) => item(x, enclosing)),
          end: term(b.term, enclosing, j !== safe),
          raw: b.term
        }))
        const whole = bodies.map((b) => [...b.items, ...common, ...b.end])
        const pureFall = whole.every((steps) => {
          const e = exitsOf(steps)
          return e.size === 1 && e.has("fall")
        })
        const acting = new Set<string>()
        for (const steps of whole) actors(steps, acting)
        const toInform = roles.filter((r) => r !== at && (!pureFall || acting.has(r)))
        // One plan for every branch: only the labels differ between branches.
        const plan: Array<{ readonly from: string; readonly to: string; readonly shared: boolean }> = []
        const informed = [at]
        for (const r of toInform) {
          // Trees built by the scheme have no plan: every role is told by the chooser.
          const p = i.plan[roles.indexOf(r)] ?? { mode: "direct", via: 0 }
          if (p.mode === "skip") {
            counts.uninformed++
            continue
          }
          if (p.mode === "relay" && informed.length > 1) {
            const relays = informed.slice(1)
            plan.push({ from: relays[p.via % relays.length], to: r, shared: false })
            counts.relayed++
          } else {
            plan.push({ from: at, to: r, shared: p.mode === "shared" })
            if (p.mode === "shared") counts.sharedLabel++
          }
          informed.push(r)
        }
        if (i.late && plan.length > 0) counts.lateInform++
        const branches = bodies.map((b, j): TreeBranch => {
          const branch = BRANCH_NAMES[j]
          const informs = plan.map((p): TreeStep => ({
            _tag: "Msg",
            from: p.from,
            to: p.to,
            label: label(p.shared ? `${name}` : `${name}${branch}`)
          }))
          const steps = i.late ? [...b.items, ...informs, ...common, ...b.end] : [...informs, ...b.items, ...common, ...b.end]
          return { label: branch, steps: guarded(steps, b.raw) }
        })
        return { _tag: "Choice", at, name, branches }
      }
    }
  }
  const steps = seq(raw, [], false)
  return { name, roles, labels: [...labels].sort(), steps, perturbations: counts }
}

const treeArbitrary = (o: ArbitraryOptions, free: boolean, name: string): fc.Arbitrary<ProtocolTree> => {
  const c = config(o)
  return fc
    .tuple(fc.integer({ min: c.minRoles, max: c.maxRoles }), rawArbitrary(c, free))
    .map(([n, raw]) => normalize(raw, n, c, name))
    .filter((t) => size(t.steps) <= c.maxSize)
}

/**
 * Trees of protocols that are well formed by construction: in every branch the chooser first
 * tells each role that acts in the choice (every other role when a branch may end or go round
 * a loop) the branch, with a label of its own; every loop has a way out (each choice has a
 * branch that does not `recur`, loop bodies do not end with `recur`); a message comes before
 * every `recur`.
 *
 * @category arbitraries
 */
export const wellFormedTree = (options: ArbitraryOptions = {}): fc.Arbitrary<ProtocolTree> =>
  treeArbitrary(options, false, "WellFormed")

/**
 * Well-formed protocols (see `wellFormedTree`), built with `Protocol.make`. Generating one that
 * the library rejects throws.
 *
 * @category arbitraries
 */
export const wellFormedProtocol = (options: ArbitraryOptions = {}): fc.Arbitrary<Generated> =>
  wellFormedTree(options).map(generated)

/**
 * Freer trees, which may or may not be well formed: roles are told the branch by the chooser,
 * by another role that was told (relay), with a label shared by all branches, after other
 * steps of the branch, or not at all; some choices have no branch that stays out of `recur`,
 * and loop bodies may end with `recur`.
 *
 * @category arbitraries
 */
export const freeTree = (options: ArbitraryOptions = {}): fc.Arbitrary<ProtocolTree> => treeArbitrary(options, true, "Free")

/**
 * The free trees (see `freeTree`) that `Protocol.makeEither` accepts, built: these exercise
 * full merging (roles that behave the same in every branch, roles told by a role that was
 * told).
 *
 * @category arbitraries
 */
export const mergeableProtocol = (options: ArbitraryOptions = {}): fc.Arbitrary<Generated> =>
  freeTree(options)
    .map((tree) => ({ tree, built: build(tree) }))
    .filter((x) => Either.isRight(x.built))
    .map((x) => fromBuilt(x.tree, Either.getOrThrow(x.built)))

// ---------------------------------------------------------------------------------------------
// Implementations
// ---------------------------------------------------------------------------------------------

/**
 * A message as its receiver recorded it. The sender is read off the payload.
 *
 * @category models
 */
export interface ReceivedMessage {
  readonly from: string
  readonly label: string
  readonly payload: number
}

/**
 * The state of a generated implementation, and so its result: everything it received, in
 * order.
 *
 * @category models
 */
export interface RoleState {
  readonly role: string
  readonly received: ReadonlyArray<ReceivedMessage>
}

/**
 * What the generated implementations did that their states cannot hold (send and choose
 * handlers do not return a state): per role, what it sent and what it decided, in order.
 *
 * @category models
 */
export interface RunLog {
  readonly sent: Readonly<Record<string, Array<{ readonly label: string; readonly payload: number }>>>
  readonly decisions: Readonly<Record<string, Array<Decision>>>
}

/**
 * Options of `implementAll`.
 *
 * @category models
 */
export interface ImplementOptions {
  /**
   * How many choices each role makes from `decisions` before it takes, every time, a branch
   * toward the end of the protocol (default 8).
   */
  readonly freeChoices?: number
  /** Whether the handlers answer with Effects instead of plain values (default false). */
  readonly effectful?: boolean
}

/** A generated implementation of one role. @category models */
export type GeneratedImplementation = Role.Implementation<GeneratedProtocol, string, RoleState>

/**
 * An implementation of every role of a generated protocol, with `Role.implement`. Each send
 * answers a number that is unique in the run and tells the sender; each receive appends
 * `{ from, label, payload }` to the state; each choice takes a branch picked by the next of
 * `decisions` (modulo the number of branches), and after `freeChoices` choices a branch toward
 * the end, so that every run ends. Returns the implementations and the log they fill as they
 * run: make new ones for every run.
 *
 * @category constructors
 */
export const implementAll = (
  g: Generated,
  decisions: ReadonlyArray<number>,
  options: ImplementOptions = {}
): { readonly implementations: Record<string, GeneratedImplementation>; readonly log: RunLog } => {
  const { protocol, tree, choices } = g
  const freeChoices = options.freeChoices ?? 8
  const answer = <A>(a: A): A | Effect.Effect<A> => (options.effectful ? Effect.succeed(a) : a)
  const n = tree.roles.length
  const log: RunLog = {
    sent: Object.fromEntries(tree.roles.map((r) => [r, []])),
    decisions: Object.fromEntries(tree.roles.map((r) => [r, []]))
  }
  let next = 0
  const implementations: Record<string, GeneratedImplementation> = {}
  tree.roles.forEach((role, index) => {
    const send: Record<string, (s: RoleState) => number | Effect.Effect<number>> = {}
    const recv: Record<string, (s: RoleState, payload: number) => RoleState | Effect.Effect<RoleState>> = {}
    for (const label of tree.labels) {
      send[label] = () => {
        const payload = next++ * n + index
        log.sent[role].push({ label, payload })
        return answer(payload)
      }
      recv[label] = (s, payload) =>
        answer({ role: s.role, received: [...s.received, { from: tree.roles[payload % n], label, payload }] })
    }
    const choose: Record<string, (s: RoleState) => string | Effect.Effect<string>> = {}
    for (const [name, info] of Object.entries(choices)) {
      if (info.at !== role) continue
      choose[name] = () => {
        const k = log.decisions[role].length
        const branch = k < freeChoices && decisions.length > 0
          ? info.branches[decisions[(k + index * 3) % decisions.length] % info.branches.length]
          : (info.towardEnd[0] ?? info.branches[0])
        log.decisions[role].push({ choice: name, branch })
        return answer(branch)
      }
    }
    implementations[role] = Role.implement(protocol, role, { send, recv, choose }, { role, received: [] } as RoleState)
  })
  return { implementations, log }
}
