/**
 * Property-based testing of protocols: fast-check arbitraries of global protocols, built
 * through the public builder from a generated tree, generated implementations of every role
 * that drive any such protocol to its end, and the oracle that checks a run against the
 * global protocol.
 *
 * @since 0.1.0
 */
import { Data, Effect, Either, type FastCheck, Schema } from "effect"
import { type FastCheckModule, toStringMethod } from "../internal/fast-check.js"
import type { ProjectionError } from "../effects/errors.js"
import * as Protocol from "../protocol/index.js"
import * as Role from "../runtime/Role.js"

// ---------------------------------------------------------------------------------------------
// Trees
// ---------------------------------------------------------------------------------------------

/**
 * A step of a generated protocol, as plain data: the tree the protocol was built from.
 * `Compose` holds the tree of the sub-protocol itself; the same sub-protocol may be composed
 * several times (it is then built once and composed with each mapping).
 *
 * @category models
 */
export type TreeStep =
  | { readonly _tag: "Msg"; readonly from: string; readonly to: string; readonly label: string }
  | { readonly _tag: "Broadcast"; readonly from: string; readonly to: ReadonlyArray<string>; readonly label: string }
  | { readonly _tag: "Choice"; readonly at: string; readonly name: string; readonly branches: ReadonlyArray<TreeBranch> }
  /** `forever`: built with `forever(name, body)`, a loop that needs no way out (never generated; see tests/Forever.test.ts). */
  | { readonly _tag: "Loop"; readonly name: string; readonly body: ReadonlyArray<TreeStep>; readonly forever?: true }
  | { readonly _tag: "Repeat"; readonly param: string; readonly body: ReadonlyArray<TreeStep> }
  | { readonly _tag: "Parallel"; readonly branches: ReadonlyArray<ReadonlyArray<TreeStep>> }
  | {
    readonly _tag: "Compose"
    readonly sub: ProtocolTree
    /** Each role of `sub` to a distinct role of the composing protocol. */
    readonly mapping: Readonly<Record<string, string>>
  }
  | { readonly _tag: "Recur"; readonly name: string }
  | { readonly _tag: "End" }
  /**
   * `timeout(at, name, duration, body, fallback)`. `duration` is what the builder is given
   * (milliseconds, or a string that the ill-formed trees use for a bad one).
   */
  | {
    readonly _tag: "Timeout"
    readonly at: string
    readonly name: string
    readonly duration: number | string
    readonly body: ReadonlyArray<TreeStep>
    readonly fallback: ReadonlyArray<TreeStep>
  }
  /** `saga(owner, name, forward, compensate)`. */
  | {
    readonly _tag: "Saga"
    readonly owner: string
    readonly name: string
    readonly forward: ReadonlyArray<TreeStep>
    readonly compensate: ReadonlyArray<TreeStep>
  }

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
 * steps of the branch, and choices without a branch that stays out of `recur`. For the
 * composition constructs: sub-protocols that may `end()` composed where some role cannot know
 * it (`partialCompose`), parallel branches that `end()` and parallel branches or rounds that
 * `recur` to an enclosing loop (`escape`, both rejected by the builder), and rounds that
 * `end()` (`roundEnd`, only with the option `roundEnds`).
 *
 * @category models
 */
export interface Perturbations {
  readonly uninformed: number
  readonly relayed: number
  readonly sharedLabel: number
  readonly lateInform: number
  readonly noSafeBranch: number
  readonly partialCompose: number
  readonly escape: number
  readonly roundEnd: number
}

/** No perturbation at all: the counts of a tree built exactly as drawn. @category models */
export const noPerturbations: Perturbations = {
  uninformed: 0,
  relayed: 0,
  sharedLabel: 0,
  lateInform: 0,
  noSafeBranch: 0,
  partialCompose: 0,
  escape: 0,
  roundEnd: 0
}

/**
 * A generated global protocol as data: roles, the labels of its own catalogue (every payload
 * is a `Schema.Number`; composed sub-protocols bring theirs), steps, and the session
 * parameters of a run: the number of rounds of every `repeat`, those of the sub-protocols
 * included. Choice, loop and parameter names are unique in the tree, but for those of a
 * sub-protocol composed more than once.
 *
 * @category models
 */
export interface ProtocolTree {
  readonly name: string
  readonly roles: ReadonlyArray<string>
  readonly labels: ReadonlyArray<string>
  readonly steps: ReadonlyArray<TreeStep>
  readonly params: Readonly<Record<string, number>>
  readonly perturbations: Perturbations
}

/** The catalogue of a generated protocol: every label carries a number. @category models */
export type NumberCatalogue = { readonly [label: string]: typeof Schema.Number }

/** A protocol built from a `ProtocolTree`. @category models */
export type GeneratedProtocol = Protocol.Protocol<string, string, NumberCatalogue, unknown>

/**
 * What a driver needs to know about a choice: who makes it (`at`; `roles` lists every role
 * that makes it, several when a sub-protocol is composed with different mappings), its
 * branches, and the branches on a shortest path to the end of the protocol, or of the
 * parallel branch the choice is in (taking one of them at every choice makes every run
 * finish).
 *
 * @category models
 */
export interface ChoiceInfo {
  readonly at: string
  readonly roles: ReadonlyArray<string>
  readonly branches: ReadonlyArray<string>
  readonly towardEnd: ReadonlyArray<string>
}

/**
 * A generated protocol with the tree it was built from and its choices by name. Prints as
 * the `Protocol.make` calls that build it (fast-check uses this for counterexamples).
 *
 * @category models
 */
export interface Generated {
  readonly tree: ProtocolTree
  readonly protocol: GeneratedProtocol
  readonly choices: Readonly<Record<string, ChoiceInfo>>
  readonly [toStringMethod]: () => string
}

/**
 * The sequences of steps directly inside a step: a choice's branches, a loop's or repeat's
 * body, a parallel's branches, a composed sub-protocol's steps (not renamed).
 *
 * @category utils
 */
export const innerSteps = (s: TreeStep): ReadonlyArray<ReadonlyArray<TreeStep>> => {
  switch (s._tag) {
    case "Choice":
      return s.branches.map((b) => b.steps)
    case "Loop":
    case "Repeat":
      return [s.body]
    case "Parallel":
      return s.branches
    case "Compose":
      return [s.sub.steps]
    case "Timeout":
      return [s.body, s.fallback]
    case "Saga":
      return [s.forward, s.compensate]
    default:
      return []
  }
}

/** Counts the steps of a tree; a composed sub-protocol counts its steps every time. @category utils */
export const size = (steps: ReadonlyArray<TreeStep>): number =>
  steps.reduce((n, s) => n + 1 + innerSteps(s).reduce((m, inner) => m + size(inner), 0), 0)

/**
 * The roles that take part in some step of `steps` (send, receive or choose), through
 * composed sub-protocols (renamed) too.
 *
 * @category utils
 */
export const actors = (
  steps: ReadonlyArray<TreeStep>,
  into: Set<string> = new Set(),
  rename: (role: string) => string = (r) => r
): Set<string> => {
  for (const s of steps) {
    switch (s._tag) {
      case "Msg":
        into.add(rename(s.from)).add(rename(s.to))
        continue
      case "Broadcast":
        if (s.to.length > 0) into.add(rename(s.from))
        for (const t of s.to) into.add(rename(t))
        continue
      case "Compose":
        actors(s.sub.steps, into, (r) => rename(s.mapping[r] ?? r))
        continue
      case "Choice":
      case "Timeout":
        into.add(rename(s.at))
        break
      case "Saga":
        into.add(rename(s.owner))
    }
    for (const inner of innerSteps(s)) actors(inner, into, rename)
  }
  return into
}

/** Whether `end()` occurs anywhere in some steps, composed sub-protocols included. @category utils */
export const hasEnd = (steps: ReadonlyArray<TreeStep>): boolean =>
  steps.some((s) => s._tag === "End" || innerSteps(s).some(hasEnd))

/** Whether some steps have a `repeat`, composed sub-protocols included. */
const hasRepeat = (steps: ReadonlyArray<TreeStep>): boolean =>
  steps.some((s) => s._tag === "Repeat" || innerSteps(s).some(hasRepeat))

/**
 * The names of the loops some steps `recur` to that they do not themselves enclose (composed
 * sub-protocols never recur out of themselves).
 *
 * @category utils
 */
export const freeRecurs = (steps: ReadonlyArray<TreeStep>, bound: ReadonlyArray<string> = [], into = new Set<string>()) => {
  for (const s of steps) {
    switch (s._tag) {
      case "Recur":
        if (!bound.includes(s.name)) into.add(s.name)
        break
      case "Choice":
        for (const b of s.branches) freeRecurs(b.steps, bound, into)
        break
      case "Loop":
        freeRecurs(s.body, [...bound, s.name], into)
        break
      case "Repeat":
        freeRecurs(s.body, bound, into)
        break
      case "Parallel":
        for (const b of s.branches) freeRecurs(b, bound, into)
        break
      case "Timeout":
      case "Saga":
        for (const b of innerSteps(s)) freeRecurs(b, bound, into)
        break
    }
  }
  return into
}

/**
 * The timeouts and sagas of a tree, composed sub-protocols included, by name: for a timeout,
 * the roles that decide it (several when a sub-protocol is composed with different mappings);
 * for a saga, its owners.
 *
 * @category utils
 */
export const barriersOf = (
  tree: Pick<ProtocolTree, "steps">
): { readonly timeouts: ReadonlyMap<string, ReadonlySet<string>>; readonly sagas: ReadonlyMap<string, ReadonlySet<string>> } => {
  const timeouts = new Map<string, Set<string>>()
  const sagas = new Map<string, Set<string>>()
  const walk = (steps: ReadonlyArray<TreeStep>, rename: (r: string) => string) => {
    for (const s of steps) {
      if (s._tag === "Compose") {
        walk(s.sub.steps, (r) => rename(s.mapping[r] ?? r))
        continue
      }
      if (s._tag === "Timeout") timeouts.set(s.name, (timeouts.get(s.name) ?? new Set()).add(rename(s.at)))
      if (s._tag === "Saga") sagas.set(s.name, (sagas.get(s.name) ?? new Set()).add(rename(s.owner)))
      for (const inner of innerSteps(s)) walk(inner, rename)
    }
  }
  walk(tree.steps, (r) => r)
  return { timeouts, sagas }
}

/**
 * The sub-protocols a tree composes, directly or not, each once, every one after those it
 * composes itself (the order to build and to print them in).
 *
 * @category utils
 */
export const subProtocols = (tree: ProtocolTree): ReadonlyArray<ProtocolTree> => {
  const out: Array<ProtocolTree> = []
  const seen = new Set<string>()
  const walk = (steps: ReadonlyArray<TreeStep>) => {
    for (const s of steps) {
      if (s._tag !== "Compose") {
        for (const inner of innerSteps(s)) walk(inner)
      } else if (!seen.has(s.sub.name)) {
        seen.add(s.sub.name)
        walk(s.sub.steps)
        out.push(s.sub)
      }
    }
  }
  walk(tree.steps)
  return out
}

/** Every label of a protocol: its own and those of the sub-protocols it composes. @category utils */
export const allLabels = (tree: ProtocolTree): ReadonlyArray<string> =>
  [...new Set([...tree.labels, ...subProtocols(tree).flatMap((s) => s.labels)])].sort()

/**
 * How a sequence can be left: `"fall"` (it runs to its end), `"end"`, or `"recur:<loop>"`.
 * Conservative: a `repeat` may always fall (its rounds may be 0), a parallel always does.
 */
const exitsOf = (steps: ReadonlyArray<TreeStep>): Set<string> => {
  const out = new Set<string>()
  /** Adds the exits of an inner sequence but `fall` and `recur` to `own`; whether it may fall. */
  const inner = (steps: ReadonlyArray<TreeStep>, own?: string) => {
    let falls = false
    for (const e of exitsOf(steps)) {
      if (e === "fall") falls = true
      else if (e !== `recur:${own}`) out.add(e)
    }
    return falls
  }
  for (const s of steps) {
    switch (s._tag) {
      case "Msg":
      case "Broadcast":
        continue
      case "End":
        out.add("end")
        return out
      case "Recur":
        out.add(`recur:${s.name}`)
        return out
      case "Choice": {
        let falls = false
        for (const b of s.branches) if (inner(b.steps)) falls = true
        if (!falls) return out
        continue
      }
      case "Loop":
        if (!inner(s.body, s.name)) return out
        continue
      case "Repeat":
        inner(s.body)
        continue
      case "Parallel":
        for (const b of s.branches) inner(b)
        continue
      case "Timeout":
      case "Saga":
        // Like a parallel: its parts can neither end the protocol nor recur out, and it goes on.
        for (const b of innerSteps(s)) inner(b)
        continue
      case "Compose":
        if (!inner(s.sub.steps)) return out
        continue
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
      case "Broadcast":
        return `${indent}.broadcast(${q(s.from)}, [${s.to.map(q).join(", ")}], ${q(s.label)})`
      case "Recur":
        return `${indent}.recur(${q(s.name)})`
      case "End":
        return `${indent}.end()`
      case "Loop":
        return `${indent}.${s.forever === true ? "forever" : "loop"}(${q(s.name)}, ${lambda(s.body, indent)})`
      case "Repeat":
        return `${indent}.repeat(${q(s.param)}, ${lambda(s.body, indent)})`
      case "Compose": {
        const mapping = Object.entries(s.mapping).map(([k, v]) => `${k}: ${q(v)}`).join(", ")
        return `${indent}.compose(${s.sub.name}, { ${mapping} })`
      }
      case "Parallel": {
        const inner = indent + "  "
        const branches = s.branches.map((b) => `${inner}${lambda(b, inner)}`)
        return `${indent}.parallel(\n${branches.join(",\n")}\n${indent})`
      }
      case "Timeout": {
        const inner = indent + "  "
        const duration = typeof s.duration === "string" ? q(s.duration) : String(s.duration)
        return `${indent}.timeout(${q(s.at)}, ${q(s.name)}, ${duration},\n${inner}${lambda(s.body, inner)},\n${inner}${
          lambda(s.fallback, inner)
        }\n${indent})`
      }
      case "Saga": {
        const inner = indent + "  "
        return `${indent}.saga(${q(s.owner)}, ${q(s.name)},\n${inner}${lambda(s.forward, inner)},\n${inner}${
          lambda(s.compensate, inner)
        }\n${indent})`
      }
      case "Choice": {
        const inner = indent + "  "
        const branches = s.branches.map((b) => `${inner}${b.label}: ${lambda(b.steps, inner)}`)
        return `${indent}.choice(${q(s.at)}, ${q(s.name)}, {\n${branches.join(",\n")}\n${indent}})`
      }
    }
  })
  return `${v}\n${lines.join("\n")}`
}

const makeCode = (tree: ProtocolTree): string => {
  const messages = tree.labels.map((l) => `${q(l)}: Schema.Number`).join(", ")
  return `Protocol.make(${q(tree.name)}, {\n  roles: [${tree.roles.map(q).join(", ")}],\n  messages: { ${messages} }\n}, (g) =>\n  ${
    seqCode(tree.steps, "g", "    ")
  })`
}

/**
 * The TypeScript source of the `Protocol.make` call that builds a tree: paste it into a test
 * to reproduce a counterexample. The sub-protocols it composes come first, each as a
 * `const` named after it, and the session parameters of the run as a comment.
 *
 * @category utils
 */
export const toCode = (tree: ProtocolTree): string => {
  const subs = subProtocols(tree).map((s) => `const ${s.name} = ${makeCode(s)}\n`)
  const params = Object.keys(tree.params).length === 0
    ? ""
    : `// Session.run(protocol, implementations, { params: ${JSON.stringify(tree.params)} })\n`
  return `${subs.join("")}${params}${makeCode(tree)}`
}

// ---------------------------------------------------------------------------------------------
// Building
// ---------------------------------------------------------------------------------------------

/** The builder without its type-level bookkeeping, for steps known only at run time. */
interface LooseBuilder {
  msg(from: string, to: string, label: string): LooseBuilder
  broadcast(from: string, to: ReadonlyArray<string>, label: string): LooseBuilder
  choice(at: string, name: string, branches: Record<string, (b: LooseBuilder) => LooseBuilder>): LooseBuilder
  loop(name: string, body: (b: LooseBuilder) => LooseBuilder): LooseBuilder
  forever(name: string, body: (b: LooseBuilder) => LooseBuilder): LooseBuilder
  repeat(param: string, body: (b: LooseBuilder) => LooseBuilder): LooseBuilder
  parallel(...branches: ReadonlyArray<(b: LooseBuilder) => LooseBuilder>): LooseBuilder
  compose(sub: Protocol.Any, mapping: Readonly<Record<string, string>>): LooseBuilder
  timeout(
    at: string,
    name: string,
    duration: number | string,
    body: (b: LooseBuilder) => LooseBuilder,
    fallback: (b: LooseBuilder) => LooseBuilder
  ): LooseBuilder
  saga(owner: string, name: string, forward: (b: LooseBuilder) => LooseBuilder, compensate: (b: LooseBuilder) => LooseBuilder): LooseBuilder
  recur(name: string): LooseBuilder
  end(): LooseBuilder
}

const emit = (b: LooseBuilder, steps: ReadonlyArray<TreeStep>, subs: ReadonlyMap<string, Protocol.Any>): LooseBuilder =>
  steps.reduce((g: LooseBuilder, s): LooseBuilder => {
    switch (s._tag) {
      case "Msg":
        return g.msg(s.from, s.to, s.label)
      case "Broadcast":
        return g.broadcast(s.from, s.to, s.label)
      case "Choice":
        return g.choice(
          s.at,
          s.name,
          Object.fromEntries(s.branches.map((br) => [br.label, (x: LooseBuilder) => emit(x, br.steps, subs)]))
        )
      case "Loop":
        return s.forever === true ? g.forever(s.name, (x) => emit(x, s.body, subs)) : g.loop(s.name, (x) => emit(x, s.body, subs))
      case "Repeat":
        return g.repeat(s.param, (x) => emit(x, s.body, subs))
      case "Parallel":
        return g.parallel(...s.branches.map((br) => (x: LooseBuilder) => emit(x, br, subs)))
      case "Compose":
        return g.compose(subs.get(s.sub.name)!, s.mapping)
      case "Timeout":
        return g.timeout(s.at, s.name, s.duration, (x) => emit(x, s.body, subs), (x) => emit(x, s.fallback, subs))
      case "Saga":
        return g.saga(s.owner, s.name, (x) => emit(x, s.forward, subs), (x) => emit(x, s.compensate, subs))
      case "Recur":
        return g.recur(s.name)
      case "End":
        return g.end()
    }
  }, b)

/** The catalogue of a tree: `Schema.Number` for every label of its own. @category utils */
export const catalogue = (tree: ProtocolTree): NumberCatalogue =>
  Object.fromEntries(tree.labels.map((l) => [l, Schema.Number]))

const buildOne = (tree: ProtocolTree, subs: ReadonlyMap<string, Protocol.Any>, messages: Protocol.Catalogue) =>
  Protocol.makeEither(
    tree.name,
    { roles: tree.roles, messages },
    (g) => emit(g as unknown as LooseBuilder, tree.steps, subs) as unknown as Protocol.Built<unknown>
  )

/**
 * `build` with the catalogue of each tree (the tree's or a sub-protocol's) given by
 * `messagesOf`: the ill-formed arbitraries retype a label this way. @internal
 */
export const buildWith = (
  tree: ProtocolTree,
  messagesOf: (tree: ProtocolTree) => Protocol.Catalogue
): Either.Either<Protocol.Any, ProjectionError> => {
  const subs = new Map<string, Protocol.Any>()
  for (const sub of subProtocols(tree)) {
    const built = buildOne(sub, subs, messagesOf(sub))
    if (Either.isLeft(built)) return Either.left(built.left)
    subs.set(sub.name, built.right)
  }
  return buildOne(tree, subs, messagesOf(tree))
}

/**
 * Builds a tree with `Protocol.makeEither`, through the public builder: first every
 * sub-protocol it composes (each once), then the tree. The first rejection, a sub-protocol's
 * included, is the answer.
 *
 * @category constructors
 */
export const build = (tree: ProtocolTree): Either.Either<GeneratedProtocol, ProjectionError> =>
  buildWith(tree, catalogue) as Either.Either<GeneratedProtocol, ProjectionError>

// ---------------------------------------------------------------------------------------------
// Driving: a graph of the tree and distances to the end
// ---------------------------------------------------------------------------------------------

type Node =
  | { readonly k: "msg"; readonly next: Node }
  | { readonly k: "choice"; readonly at: string; readonly name: string; readonly branches: Array<readonly [string, Node]> }
  | { readonly k: "loop"; body: Node }
  | { readonly k: "recur"; readonly loop: { body: Node } }
  /** A parallel, for distances one step: its branches end at ends of their own. */
  | { readonly k: "par"; readonly next: Node }
  /** The end of the protocol, or of a parallel branch. */
  | { readonly k: "end" }
  /** A `recur` to no enclosing loop (in a tree the builder rejects). */
  | { readonly k: "stuck" }

/**
 * The tree as a graph with the semantics of the builder: a loop body that ends leaves the
 * loop; composed sub-protocols are inlined with their roles renamed. For distances, a
 * `repeat` is its body once when it has rounds (`params`), nothing when it has none: a driver
 * that finishes one round by the shortest way finishes every round.
 */
const graphOf = (steps: ReadonlyArray<TreeStep>, params: Readonly<Record<string, number>>) => {
  const nodes: Array<Node> = []
  const end: Node = { k: "end" }
  nodes.push(end)
  type Loops = ReadonlyMap<string, { body: Node }>
  type Rename = (role: string) => string
  const add = <N extends Node>(n: N): N => {
    nodes.push(n)
    return n
  }
  const seq = (steps: ReadonlyArray<TreeStep>, k: Node, loops: Loops, rename: Rename): Node => {
    let next = k
    for (let i = steps.length - 1; i >= 0; i--) next = step(steps[i], next, loops, rename)
    return next
  }
  const step = (s: TreeStep, k: Node, loops: Loops, rename: Rename): Node => {
    switch (s._tag) {
      case "Msg":
        return add({ k: "msg", next: k })
      case "Broadcast":
        return s.to.reduce((next: Node) => add({ k: "msg", next }), k)
      case "Choice":
        return add({
          k: "choice",
          at: rename(s.at),
          name: s.name,
          branches: s.branches.map((b) => [b.label, seq(b.steps, k, loops, rename)] as const)
        })
      case "Loop": {
        const l = add({ k: "loop", body: end } as Node & { k: "loop" })
        l.body = seq(s.body, k, new Map(loops).set(s.name, l), rename)
        return l
      }
      case "Recur": {
        const target = loops.get(s.name)
        return add(target === undefined ? { k: "stuck" } : { k: "recur", loop: target })
      }
      case "End":
        return end
      case "Repeat": {
        // Built either way: its choices are listed even when it has no rounds.
        const body = seq(s.body, k, new Map(), rename)
        return (params[s.param] ?? 1) === 0 ? k : body
      }
      case "Parallel": {
        for (const b of s.branches) seq(b, add({ k: "end" }), new Map(), rename)
        return add({ k: "par", next: k })
      }
      case "Timeout":
      case "Saga":
        // Each part, like a parallel branch, ends at an end of its own.
        for (const b of innerSteps(s)) seq(b, add({ k: "end" }), new Map(), rename)
        return add({ k: "par", next: k })
      case "Compose":
        return seq(s.sub.steps, k, new Map(), (r) => rename(s.mapping[r] ?? r))
    }
  }
  return { start: seq(steps, end, new Map(), (r) => r), nodes }
}

const successors = (n: Node): ReadonlyArray<Node> => {
  switch (n.k) {
    case "msg":
    case "par":
      return [n.next]
    case "choice":
      return n.branches.map(([, b]) => b)
    case "loop":
      return [n.body]
    case "recur":
      return [n.loop.body]
    case "end":
    case "stuck":
      return []
  }
}

/** Every occurrence of every choice, with the branches on a shortest path to the end. */
const choiceOccurrences = (tree: ProtocolTree) => {
  const { nodes } = graphOf(tree.steps, tree.params)
  // Breadth first from the ends, backwards.
  const preds = new Map<Node, Array<Node>>()
  for (const n of nodes) for (const s of successors(n)) preds.set(s, [...(preds.get(s) ?? []), n])
  const d = new Map<Node, number>()
  let frontier: Array<Node> = nodes.filter((n) => n.k === "end")
  for (const n of frontier) d.set(n, 0)
  for (let dist = 1; frontier.length > 0; dist++) {
    const next: Array<Node> = []
    for (const n of frontier) {
      for (const p of preds.get(n) ?? []) {
        if (!d.has(p)) {
          d.set(p, dist)
          next.push(p)
        }
      }
    }
    frontier = next
  }
  const dist = (n: Node) => d.get(n) ?? Infinity
  const out = new Map<string, Array<{ readonly at: string; readonly branches: ReadonlyArray<string>; readonly best: ReadonlyArray<string> }>>()
  for (const n of nodes) {
    if (n.k !== "choice") continue
    const best = Math.min(...n.branches.map(([, b]) => dist(b)))
    const list = out.get(n.name) ?? []
    list.push({
      at: n.at,
      branches: n.branches.map(([l]) => l),
      best: best === Infinity ? [] : n.branches.filter(([, b]) => dist(b) === best).map(([l]) => l)
    })
    out.set(n.name, list)
  }
  return out
}

/**
 * Every choice of a tree with, for each, the branches on a shortest path to the end (of the
 * protocol, or of the parallel branch it is in), with the session parameters of the tree (a
 * `repeat` with no rounds is no way to its `end()`). A branch from which the end cannot be
 * reached is never listed; `towardEnd` is empty only when no branch reaches the end (never in
 * a protocol that `Protocol.make` accepts). For a choice of a sub-protocol composed more than
 * once, `towardEnd` are the branches shortest at every place (see `consistentChoices`).
 *
 * @category utils
 */
export const choicesOf = (tree: ProtocolTree): Record<string, ChoiceInfo> => {
  const out: Record<string, ChoiceInfo> = {}
  for (const [name, occurrences] of choiceOccurrences(tree)) {
    const reaching = occurrences.filter((o) => o.best.length > 0)
    const common = reaching.length === 0 ? [] : reaching[0].best.filter((l) => reaching.every((o) => o.best.includes(l)))
    out[name] = {
      at: occurrences[0].at,
      roles: [...new Set(occurrences.map((o) => o.at))],
      branches: occurrences[0].branches,
      towardEnd: common.length > 0 || reaching.length === 0 ? common : reaching[0].best
    }
  }
  return out
}

/**
 * Whether, for every choice that occurs several times (in a sub-protocol composed more than
 * once), some branch is on a shortest path to the end at every occurrence: then a driver that
 * knows only the choice's name still finishes every run.
 *
 * @category utils
 */
export const consistentChoices = (tree: ProtocolTree): boolean => {
  for (const occurrences of choiceOccurrences(tree).values()) {
    const reaching = occurrences.filter((o) => o.best.length > 0)
    if (reaching.length > 1 && !reaching[0].best.some((l) => reaching.every((o) => o.best.includes(l)))) return false
  }
  return true
}

// ---------------------------------------------------------------------------------------------
// The oracle: the replay of the global protocol, and runs checked against it
// ---------------------------------------------------------------------------------------------

/**
 * Where an event of a run happens: on the main line (empty), or in a branch of a parallel,
 * outermost first. `par` numbers the runs of parallels in the replay, so that the lanes of
 * two runs of one parallel (in two rounds, say) differ.
 *
 * @category models
 */
export type Lane = ReadonlyArray<{ readonly par: number; readonly branch: number }>

/**
 * A message of a run: `from` sent `label` to `to`, on `lane`.
 *
 * @category models
 */
export interface TraceMessage {
  readonly _tag: "Msg"
  readonly from: string
  readonly to: string
  readonly label: string
  readonly lane: Lane
}

/**
 * A decision of a run: `role` took `branch` at `choice`, on `lane`.
 *
 * @category models
 */
export interface TraceDecision {
  readonly _tag: "Decision"
  readonly role: string
  readonly choice: string
  readonly branch: string
  readonly lane: Lane
}

/**
 * An event of the replay of a run. Events on one lane, or on a lane and the lanes it opens,
 * happen in the order of the replay; events on two branches of one run of a parallel may
 * happen in any order.
 *
 * @category models
 */
export type TraceEvent = TraceMessage | TraceDecision

/**
 * A decision a role made at a choice.
 *
 * @category models
 */
export interface Decision {
  readonly choice: string
  readonly branch: string
}

class ReplayFailure {
  constructor(readonly message: string) {}
}

type Exit = { readonly k: "fall" } | { readonly k: "end" } | { readonly k: "recur"; readonly name: string }

const FALL: Exit = { k: "fall" }

/**
 * Replays the global protocol given every role's decisions, in the order each made them, and
 * the session parameters of the tree: the events of the run (messages and decisions) in the
 * order of the replay, which runs the branches of a parallel one after the other; or what
 * went wrong (a role made no decision at a choice the run reaches, took a branch that does not
 * exist, made decisions the run never reached, a parameter has no value, or the replay
 * exceeded `maxSteps`). A role's decisions are taken choice by choice: those of one choice in
 * the order it made them (the order across choices is for the caller to check against the
 * events, see `verifyRun`).
 *
 * @category utils
 */
export const replay = (
  tree: ProtocolTree,
  decisions: Readonly<Record<string, ReadonlyArray<Decision>>>,
  maxSteps = 100_000
): Either.Either<ReadonlyArray<TraceEvent>, string> => {
  const queues = new Map<string, { readonly list: Array<Decision>; next: number }>()
  const queue = (role: string, choice: string) => `${role}\u0000${choice}`
  for (const [role, ds] of Object.entries(decisions)) {
    for (const d of ds) {
      const key = queue(role, d.choice)
      const q = queues.get(key) ?? { list: [], next: 0 }
      q.list.push(d)
      queues.set(key, q)
    }
  }
  const events: Array<TraceEvent> = []
  let steps = 0
  let pars = 0
  const tick = () => {
    if (++steps > maxSteps) throw new ReplayFailure(`the replay did not end within ${maxSteps} steps`)
  }
  const run = (steps: ReadonlyArray<TreeStep>, rename: (r: string) => string, lane: Lane): Exit => {
    for (const s of steps) {
      tick()
      switch (s._tag) {
        case "Msg":
          events.push({ _tag: "Msg", from: rename(s.from), to: rename(s.to), label: s.label, lane })
          break
        case "Broadcast":
          for (const t of s.to) events.push({ _tag: "Msg", from: rename(s.from), to: rename(t), label: s.label, lane })
          break
        case "Choice": {
          const at = rename(s.at)
          const q = queues.get(queue(at, s.name))
          const d = q?.list[q.next]
          if (q === undefined || d === undefined) {
            throw new ReplayFailure(`${at} made no decision at choice '${s.name}' (its decision #${q?.next ?? 0} there)`)
          }
          const b = s.branches.find((br) => br.label === d.branch)
          if (b === undefined) throw new ReplayFailure(`${at} took branch '${d.branch}' that choice '${s.name}' does not have`)
          q.next++
          events.push({ _tag: "Decision", role: at, choice: s.name, branch: d.branch, lane })
          const e = run(b.steps, rename, lane)
          if (e !== FALL) return e
          break
        }
        case "Loop":
          for (;;) {
            tick()
            const e = run(s.body, rename, lane)
            if (e.k === "recur" && e.name === s.name) continue
            if (e.k !== "fall") return e
            break
          }
          break
        case "Repeat": {
          const rounds = tree.params[s.param]
          if (rounds === undefined) throw new ReplayFailure(`no value for the session parameter '${s.param}'`)
          for (let i = 0; i < rounds; i++) {
            const e = run(s.body, rename, lane)
            if (e.k === "end") return e
            if (e.k === "recur") throw new ReplayFailure(`a round of '${s.param}' went round '${e.name}' outside it`)
          }
          break
        }
        case "Parallel": {
          const par = pars++
          for (let branch = 0; branch < s.branches.length; branch++) {
            const e = run(s.branches[branch], rename, [...lane, { par, branch }])
            if (e.k !== "fall") throw new ReplayFailure(`branch ${branch} of a parallel left it (${e.k})`)
          }
          break
        }
        case "Compose": {
          const e = run(s.sub.steps, (r) => rename(s.mapping[r] ?? r), lane)
          if (e.k === "end") return e
          if (e.k === "recur") throw new ReplayFailure(`sub-protocol ${s.sub.name} went round '${e.name}' outside it`)
          break
        }
        case "Timeout":
        case "Saga": {
          // Without delays nor failures, a timeout is in time and a saga commits: the body (the
          // forward part) runs, the fallback (the compensation) does not. Each role does its part
          // in the order of the protocol, so the part is on the lane of the step.
          const part = s._tag === "Timeout" ? s.body : s.forward
          const e = run(part, rename, lane)
          if (e.k !== "fall") throw new ReplayFailure(`${s._tag === "Timeout" ? "timeout" : "saga"} '${s.name}' was left by ${e.k}`)
          break
        }
        case "Recur":
          return { k: "recur", name: s.name }
        case "End":
          return { k: "end" }
      }
    }
    return FALL
  }
  try {
    const e = run(tree.steps, (r) => r, [])
    if (e.k === "recur") return Either.left(`the replay went round '${e.name}' outside it`)
  } catch (e) {
    if (e instanceof ReplayFailure) return Either.left(e.message)
    throw e
  }
  for (const [key, q] of queues) {
    if (q.next !== q.list.length) {
      const [role, choice] = key.split("\u0000")
      return Either.left(`${role} made ${q.list.length} decisions at choice '${choice}' but the protocol reached only ${q.next}`)
    }
  }
  return Either.right(events)
}

// ---------------------------------------------------------------------------------------------
// Orders: whether observed sequences can be the replayed events
// ---------------------------------------------------------------------------------------------

/** The order of some events as a series-parallel structure, from their lanes (leaves: indices). */
type Order = { readonly k: "leaf"; readonly index: number } | { readonly k: "seq" | "par"; readonly items: ReadonlyArray<Order> }

/** Events (indices into `lanes`) in replay order, at lane depth `depth`: those of one run of a parallel are contiguous. */
const orderOf = (lanes: ReadonlyArray<Lane>, indices: ReadonlyArray<number>, depth = 0): Order => {
  const items: Array<Order> = []
  for (let i = 0; i < indices.length;) {
    const lane = lanes[indices[i]]
    if (lane.length <= depth) {
      items.push({ k: "leaf", index: indices[i++] })
      continue
    }
    const par = lane[depth].par
    const branches = new Map<number, Array<number>>()
    for (; i < indices.length; i++) {
      const l = lanes[indices[i]]
      if (l.length <= depth || l[depth].par !== par) break
      branches.set(l[depth].branch, [...(branches.get(l[depth].branch) ?? []), indices[i]])
    }
    items.push({ k: "par", items: [...branches.values()].map((b) => orderOf(lanes, b, depth + 1)) })
  }
  return { k: "seq", items }
}

/** The immediate predecessors of every leaf of an order; answers the last leaves of `o`. */
const link = (o: Order, incoming: ReadonlyArray<number>, preds: Array<ReadonlyArray<number>>): ReadonlyArray<number> => {
  switch (o.k) {
    case "leaf":
      preds[o.index] = incoming
      return [o.index]
    case "seq":
      return o.items.reduce((last, item) => link(item, last, preds), incoming)
    case "par":
      return [...new Set(o.items.flatMap((item) => link(item, incoming, preds)))]
  }
}

const countKeys = (keys: Iterable<string>): Map<string, number> => {
  const out = new Map<string, number>()
  for (const k of keys) out.set(k, (out.get(k) ?? 0) + 1)
  return out
}

/**
 * Whether `observed` events (each with its positions in one or more sequences: `at[i]` in the
 * i-th) can be the `expected` ones: some one-to-one map of observed events to expected ones
 * with the same keys such that every sequence keeps the expected order (events on one lane,
 * or on a lane and the lanes it opens, in replay order; events of different branches of one
 * run of a parallel in any order). Answers what is wrong, or `undefined`.
 *
 * @category utils
 */
export const checkOrder = (
  expected: ReadonlyArray<{ readonly key: string; readonly lane: Lane }>,
  observed: ReadonlyArray<{ readonly key: string; readonly at: ReadonlyArray<number> }>
): string | undefined => {
  const show = () =>
    `\n  expected: ${
      expected.map((e) => e.key + (e.lane.length === 0 ? "" : `@${e.lane.map((l) => `${l.par}.${l.branch}`).join("/")}`)).join(" ")
    }\n  observed: ${observed.map((o) => `${o.key}@${o.at.join(",")}`).join(" ")}`
  const want = countKeys(expected.map((e) => e.key))
  const got = countKeys(observed.map((o) => o.key))
  const missing = [...want].filter(([k, n]) => (got.get(k) ?? 0) < n).map(([k]) => k)
  const extra = [...got].filter(([k, n]) => (want.get(k) ?? 0) < n).map(([k]) => k)
  if (missing.length > 0 || extra.length > 0) {
    return `not the same events: missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(extra)}${show()}`
  }
  const n = expected.length
  const preds: Array<ReadonlyArray<number>> = new Array(n)
  link(orderOf(expected.map((e) => e.lane), expected.map((_, i) => i)), [], preds)
  const succs: Array<Array<number>> = expected.map(() => [])
  preds.forEach((ps, i) => ps.forEach((p) => succs[p].push(i)))
  const byKey = new Map<string, Array<number>>()
  expected.forEach((e, i) => byKey.set(e.key, [...(byKey.get(e.key) ?? []), i]))
  const dims = observed[0]?.at.length ?? 0
  // Observed events in the order of the first sequence, each matched in turn to an expected
  // event whose predecessors are matched (and, in the other sequences, came before it). The
  // state: the matched events and, with several sequences, where the last matched of each
  // lane were observed; states that failed once fail again.
  const sequence = observed.map((_, i) => i).sort((a, b) => observed[a].at[0] - observed[b].at[0])
  const matched = new Int32Array(n).fill(-1)
  const failed = new Set<string>()
  let effort = 1_000_000
  const state = () => {
    let key = ""
    for (let i = 0; i < n; i++) key += matched[i] < 0 ? "0" : "1"
    if (dims > 1) {
      for (let i = 0; i < n; i++) if (matched[i] >= 0 && succs[i].some((j) => matched[j] < 0)) key += `,${i}:${matched[i]}`
    }
    return key
  }
  const go = (k: number): boolean | undefined => {
    if (k === sequence.length) return true
    if (--effort < 0) return undefined
    const key = state()
    if (failed.has(key)) return false
    const o = observed[sequence[k]]
    for (const e of byKey.get(o.key) ?? []) {
      if (matched[e] >= 0) continue
      const ready = preds[e].every((p) => {
        if (matched[p] < 0) return false
        for (let d = 1; d < dims; d++) if (observed[matched[p]].at[d] > o.at[d]) return false
        return true
      })
      if (!ready) continue
      matched[e] = sequence[k]
      const r = go(k + 1)
      if (r !== false) return r
      matched[e] = -1
    }
    failed.add(key)
    return false
  }
  const r = go(0)
  if (r === undefined) return `too many ways to match the events to check the order${show()}`
  return r ? undefined : `not in an order the protocol allows${show()}`
}

// ---------------------------------------------------------------------------------------------
// Generated protocols
// ---------------------------------------------------------------------------------------------

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
  [toStringMethod]: () => toCode(tree)
})

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

/**
 * Bounds of the generated protocols, and which constructs they use.
 *
 * @category models
 */
export interface ArbitraryOptions {
  /** Fewest roles (at least 2; default 2). */
  readonly minRoles?: number
  /** Most roles (at most 8; default 5). */
  readonly maxRoles?: number
  /** Nesting depth of choices, loops, rounds and parallels (default 3). */
  readonly maxDepth?: number
  /** Most steps in one sequence before a choice's messages are added (default 3). */
  readonly maxSteps?: number
  /** Most branches of a choice (default 3). */
  readonly maxBranches?: number
  /** Labels of plain messages (default 3). */
  readonly labels?: number
  /** Largest tree, in steps, composed sub-protocols counted where they are composed (default 120). */
  readonly maxSize?: number
  /**
   * Compose sub-protocols (default true): each generated first, with 2 or 3 roles of its own
   * and a catalogue that shares the plain labels, then composed with injective role mappings,
   * some twice.
   */
  readonly compose?: boolean
  /** How deep sub-protocols compose sub-protocols of their own (default 2). */
  readonly composeDepth?: number
  /** Broadcasts (default true). */
  readonly broadcast?: boolean
  /** `repeat`s, each with its number of rounds as a session parameter (default true). */
  readonly repeat?: boolean
  /** Most rounds of a `repeat` (default 3). */
  readonly maxRounds?: number
  /** Parallels (default true). */
  readonly parallel?: boolean
  /** Most branches of a parallel (default 3). */
  readonly maxParallel?: number
  /**
   * Free trees only: rounds of a `repeat` may `end()` the protocol where not every role is
   * told (default false: such protocols are accepted by the library today, and hang, see
   * the tests of known issues).
   */
  readonly roundEnds?: boolean
  /**
   * Compose more than once a sub-protocol with a `repeat` (default false: when a role sits
   * out a loop that passes one copy's rounds and then takes part in another copy's, whose
   * parameter has the same name, it fails with "does not know how many rounds of ... are
   * done"; see the tests of known issues).
   */
  readonly reusedRounds?: boolean
  /**
   * `timeout`s (default false, so that the trees of the other options, their shrinking and
   * the counts of the tests that use them stay as they were): `at` is a role of the body (a
   * message from it is added when the body has none), body and fallback never `end()` nor
   * `recur` out.
   */
  readonly timeouts?: boolean
  /** The duration of every generated timeout, in milliseconds (default 60 000: fault-free runs are always in time). */
  readonly timeoutDuration?: number
  /**
   * `saga`s (default false, as `timeouts`): the forward part begins with a message of a label
   * of its own, the saga's name, from the owner (see `implementAll`'s `failSagas`); the
   * parts never `end()` nor `recur` out.
   */
  readonly sagas?: boolean
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
  | { readonly t: "bcast"; readonly from: number; readonly to: ReadonlyArray<number>; readonly label: number }
  | {
    readonly t: "compose"
    readonly sub: number
    /** Picks, for each role of the sub-protocol in turn, one of the roles not taken yet. */
    readonly map: ReadonlyArray<number>
    /** The message in its place when no sub-protocol may be composed here. */
    readonly alt: RawMsg
  }
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
  | {
    readonly t: "repeat"
    readonly body: RawSeq
    readonly rounds: number
    /** The message added to a round that sends none (the builder rejects a silent round). */
    readonly guard: RawMsg
    /** The body may `recur` to enclosing loops (free trees only: the builder rejects it). */
    readonly leak: boolean
  }
  | {
    readonly t: "timeout"
    readonly at: number
    readonly body: RawSeq
    readonly fallback: RawSeq
    /** The message from `at` added to a body it takes no part in. */
    readonly guard: RawMsg
  }
  | {
    readonly t: "saga"
    readonly owner: number
    /** The receiver of the message that begins the forward part. */
    readonly peer: number
    readonly forward: RawSeq
    readonly compensate: RawSeq
  }
  | {
    readonly t: "par"
    readonly branches: ReadonlyArray<RawSeq>
    /** The branches may `end()` or `recur` to enclosing loops (free trees only: the builder rejects it). */
    readonly leak: boolean
  }

interface RawSeq {
  readonly items: ReadonlyArray<RawItem>
  readonly term: RawTerm
}

interface RawProtocol {
  readonly roles: number
  readonly seq: RawSeq
  readonly subs: ReadonlyArray<RawProtocol>
}

const ROLE_NAMES = ["A", "B", "C", "D", "E", "F", "G", "H"]
const SUB_ROLE_NAMES = ["P", "Q", "R"]
const BRANCH_NAMES = ["x", "y", "z", "w", "v", "u"]
const LABEL_NAMES = ["a", "b", "c", "d", "e", "f", "g", "h"]

const config = (o: ArbitraryOptions) => ({
  minRoles: Math.max(2, o.minRoles ?? 2),
  maxRoles: Math.min(8, Math.max(o.minRoles ?? 2, o.maxRoles ?? 5)),
  maxDepth: o.maxDepth ?? 3,
  maxSteps: o.maxSteps ?? 3,
  maxBranches: Math.min(BRANCH_NAMES.length, o.maxBranches ?? 3),
  labels: Math.min(LABEL_NAMES.length, Math.max(1, o.labels ?? 3)),
  maxSize: o.maxSize ?? 120,
  compose: o.compose ?? true,
  composeDepth: o.composeDepth ?? 2,
  broadcast: o.broadcast ?? true,
  repeat: o.repeat ?? true,
  maxRounds: Math.max(0, o.maxRounds ?? 3),
  parallel: o.parallel ?? true,
  maxParallel: Math.max(1, o.maxParallel ?? 3),
  roundEnds: o.roundEnds ?? false,
  reusedRounds: o.reusedRounds ?? false,
  timeouts: o.timeouts ?? false,
  timeoutDuration: o.timeoutDuration ?? 60_000,
  sagas: o.sagas ?? false
})

type Config = ReturnType<typeof config>

/** Sub-protocols are smaller: 2 or 3 roles, shallower, shorter. */
const subConfig = (c: Config): Config => ({
  ...c,
  minRoles: 2,
  maxRoles: SUB_ROLE_NAMES.length,
  maxDepth: Math.min(2, c.maxDepth),
  maxSteps: Math.min(2, c.maxSteps),
  maxBranches: Math.min(2, c.maxBranches),
  maxParallel: Math.min(2, c.maxParallel)
})

const rawSeqArbitrary = (fc: FastCheckModule, c: Config, free: boolean, composes: boolean): FastCheck.Arbitrary<RawSeq> => {
  const msg: FastCheck.Arbitrary<RawMsg> = fc.record({ from: fc.nat(7), to: fc.nat(6), label: fc.nat(c.labels - 1) })
  const term: FastCheck.Arbitrary<RawTerm> = fc.oneof(
    { weight: 4, arbitrary: fc.constant({ t: "none" as const }) },
    { weight: 1, arbitrary: fc.constant({ t: "end" as const }) },
    { weight: 5, arbitrary: fc.record({ t: fc.constant("recur" as const), loop: fc.nat(3), guard: msg }) }
  )
  const inform: FastCheck.Arbitrary<RawInform> = fc.record({
    mode: fc.oneof(
      { weight: 4, arbitrary: fc.constant("direct" as const) },
      { weight: 3, arbitrary: fc.constant("relay" as const) },
      { weight: 2, arbitrary: fc.constant("skip" as const) },
      { weight: 1, arbitrary: fc.constant("shared" as const) }
    ),
    via: fc.nat(7)
  })
  const leak = free
    ? fc.oneof({ weight: 12, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) })
    : fc.constant(false)
  const msgItem: FastCheck.Arbitrary<RawItem> = msg.map((m) => ({ t: "msg" as const, m }))
  const leaves: Array<FastCheck.WeightedArbitrary<RawItem>> = [{ weight: 8, arbitrary: msgItem }]
  if (c.broadcast) {
    leaves.push({
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant("bcast" as const),
        from: fc.nat(7),
        to: fc.uniqueArray(fc.nat(7), { minLength: free ? 0 : 1, maxLength: 4 }),
        label: fc.nat(c.labels - 1)
      })
    })
  }
  if (composes) {
    leaves.push({
      weight: 3,
      arbitrary: fc.record({
        t: fc.constant("compose" as const),
        sub: fc.nat(3),
        map: fc.array(fc.nat(7), { minLength: SUB_ROLE_NAMES.length, maxLength: SUB_ROLE_NAMES.length }),
        alt: msg
      })
    })
  }
  const leaf = fc.oneof(...leaves)
  let item: FastCheck.Arbitrary<RawItem> = leaf
  for (let d = 1; d <= c.maxDepth; d++) {
    const inner: FastCheck.Arbitrary<RawSeq> = fc.record({ items: fc.array(item, { maxLength: c.maxSteps }), term })
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
    const choice: FastCheck.Arbitrary<RawItem> = free
      ? fc.oneof({ weight: 2, arbitrary: fc.record(plain) }, { weight: 1, arbitrary: fc.record(perturbed) })
      : fc.record(plain)
    const loop: FastCheck.Arbitrary<RawItem> = fc.record({
      t: fc.constant("loop" as const),
      body: inner,
      tail: fc.option(choice, { freq: 3, nil: undefined }),
      bodyRecur: free
        ? fc.oneof({ weight: 8, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) })
        : fc.constant(false)
    })
    const items: Array<FastCheck.WeightedArbitrary<RawItem>> = [
      { weight: 8, arbitrary: leaf },
      { weight: 4, arbitrary: choice },
      { weight: 4, arbitrary: loop }
    ]
    if (c.repeat) {
      items.push({
        weight: 2,
        arbitrary: fc.record({
          t: fc.constant("repeat" as const),
          body: inner,
          rounds: fc.nat(c.maxRounds),
          guard: msg,
          leak
        })
      })
    }
    if (c.parallel) {
      items.push({
        weight: 2,
        arbitrary: fc.record({
          t: fc.constant("par" as const),
          branches: fc.array(inner, { minLength: 1, maxLength: c.maxParallel }),
          leak
        })
      })
    }
    if (c.timeouts) {
      items.push({
        weight: 2,
        arbitrary: fc.record({ t: fc.constant("timeout" as const), at: fc.nat(7), body: inner, fallback: inner, guard: msg })
      })
    }
    if (c.sagas) {
      items.push({
        weight: 2,
        arbitrary: fc.record({ t: fc.constant("saga" as const), owner: fc.nat(7), peer: fc.nat(6), forward: inner, compensate: inner })
      })
    }
    item = fc.oneof(...items)
  }
  return fc.record({ items: fc.array(item, { minLength: 1, maxLength: c.maxSteps + 1 }), term })
}

/** A raw protocol and, when it may compose, the raw sub-protocols it may compose. */
const rawProtocolArbitrary = (fc: FastCheckModule, c: Config, free: boolean, level = 0): FastCheck.Arbitrary<RawProtocol> => {
  const composes = c.compose && level < c.composeDepth
  return fc.record({
    roles: fc.integer({ min: c.minRoles, max: c.maxRoles }),
    seq: rawSeqArbitrary(fc, c, free, composes),
    subs: composes ? fc.array(rawProtocolArbitrary(fc, subConfig(c), free, level + 1), { minLength: 1, maxLength: 2 }) : fc.constant([])
  })
}

/**
 * Where a step is: the loops it may `recur` to, where `end()` may be (`any`; `informed`: only
 * in a branch of a choice, whose chooser tells every role, as in a round of a `repeat`, where
 * a role that takes no part in the rounds could not know; `none`: in a parallel branch), and
 * its lane (the parallel branches it is in, by parallel and branch index).
 */
interface Ctx {
  readonly enclosing: ReadonlyArray<string>
  readonly ends: "any" | "informed" | "none"
  readonly lane: ReadonlyArray<readonly [number, number]>
}

/** Whether two places are in different branches of one parallel. */
const concurrent = (a: Ctx["lane"], b: Ctx["lane"]) => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i][0] !== b[i][0]) return false
    if (a[i][1] !== b[i][1]) return true
  }
  return false
}

/**
 * Turns a raw shape into a tree: names, roles, the messages that tell each role the branch,
 * the sub-protocols (first) and where they may be composed.
 */
const normalize = (
  raw: RawProtocol,
  nRoles: number,
  roleNames: ReadonlyArray<string>,
  c: Config,
  free: boolean,
  name: string,
  prefix: string
): ProtocolTree => {
  const roles = roleNames.slice(0, nRoles)
  const subs = raw.subs.map((s, i) => {
    const subName = prefix === "" ? `S${i}` : `${name}_${i}`
    return normalize(s, Math.min(s.roles, nRoles), SUB_ROLE_NAMES, subConfig(c), free, subName, `${subName.toLowerCase()}_`)
  })
  const usages = new Map<string, Array<Ctx["lane"]>>()
  const labels = new Set<string>()
  const params: Record<string, number> = {}
  const counts = { ...noPerturbations }
  let choices = 0
  let loops = 0
  let repeats = 0
  let pars = 0
  let timeouts = 0
  let sagas = 0
  const label = (l: string) => {
    labels.add(l)
    return l
  }
  const msg = (m: RawMsg): TreeStep => {
    const from = m.from % nRoles
    const to = (from + 1 + (m.to % (nRoles - 1))) % nRoles
    return { _tag: "Msg", from: roles[from], to: roles[to], label: label(LABEL_NAMES[m.label % c.labels]) }
  }
  const term = (t: RawTerm, ctx: Ctx, mayRecur: boolean): ReadonlyArray<TreeStep> => {
    if (t.t === "end") return ctx.ends === "any" ? [{ _tag: "End" }] : []
    if (t.t === "recur" && mayRecur && ctx.enclosing.length > 0) {
      return [{ _tag: "Recur", name: ctx.enclosing[t.loop % ctx.enclosing.length] }]
    }
    return []
  }
  /** A message before every `recur`, so that each loop is guarded. */
  const sends = (steps: ReadonlyArray<TreeStep>) =>
    steps.some((s) => s._tag === "Msg" || (s._tag === "Broadcast" && s.to.length > 0))
  const guarded = (steps: ReadonlyArray<TreeStep>, t: RawTerm): ReadonlyArray<TreeStep> => {
    const last = steps[steps.length - 1]
    if (last?._tag !== "Recur" || t.t !== "recur" || sends(steps)) return steps
    return [...steps.slice(0, -1), msg(t.guard), last]
  }
  const seq = (s: RawSeq, ctx: Ctx, mayRecur: boolean): ReadonlyArray<TreeStep> => {
    const items = s.items.map((i) => item(i, ctx))
    return guarded([...items, ...term(s.term, ctx, mayRecur)], s.term)
  }
  /** `extra` at the end of `steps`, before its `end()` or `recur` if it has one. */
  const beforeExit = (steps: ReadonlyArray<TreeStep>, extra: ReadonlyArray<TreeStep>) => {
    const last = steps[steps.length - 1]
    return last?._tag === "End" || last?._tag === "Recur" ? [...steps.slice(0, -1), ...extra, last] : [...steps, ...extra]
  }
  const escapes = (steps: ReadonlyArray<TreeStep>, ctx: Ctx, ends: boolean) =>
    (ends && hasEnd(steps)) || [...freeRecurs(steps)].some((l) => ctx.enclosing.includes(l))
  const item = (i: RawItem, ctx: Ctx): TreeStep => {
    switch (i.t) {
      case "msg":
        return msg(i.m)
      case "bcast": {
        const from = i.from % nRoles
        const to = [...new Set(i.to.map((t) => (from + 1 + (t % (nRoles - 1))) % nRoles))].map((t) => roles[t])
        return { _tag: "Broadcast", from: roles[from], to, label: label(LABEL_NAMES[i.label % c.labels]) }
      }
      case "compose": {
        // A sub-protocol that may end only where every role would know (free trees: anywhere
        // but in a parallel branch or a round), and never in two branches of one parallel (a
        // role would make the same choices on two lanes at once).
        const fits = subs.filter((s) => {
          const ends = hasEnd(s.steps)
          const before = usages.get(s.name) ?? []
          return (!ends || (ctx.ends === "any" && (free || s.roles.length === nRoles))) &&
            before.every((u) => !concurrent(u, ctx.lane)) &&
            (c.reusedRounds || before.length === 0 || !hasRepeat(s.steps))
        })
        if (fits.length === 0) return msg(i.alt)
        const sub = fits[i.sub % fits.length]
        if (hasEnd(sub.steps) && sub.roles.length < nRoles) counts.partialCompose++
        usages.set(sub.name, [...(usages.get(sub.name) ?? []), ctx.lane])
        const free_ = [...roles]
        const mapping = Object.fromEntries(sub.roles.map((r, j) => [r, free_.splice(i.map[j] % free_.length, 1)[0]]))
        return { _tag: "Compose", sub, mapping }
      }
      case "repeat": {
        const param = `${prefix}r${repeats++}`
        params[param] = i.rounds
        const ends = free ? (c.roundEnds ? "any" : "none") : ctx.ends === "none" ? "none" : "informed"
        const inner: Ctx = { enclosing: i.leak ? ctx.enclosing : [], ends, lane: ctx.lane }
        const steps = seq(i.body, inner, true)
        // A message in every round (free trees: but in those that escape, rejected anyway).
        const body = sends(steps) || i.leak ? steps : beforeExit(steps, [msg(i.guard)])
        if (i.leak && escapes(body, ctx, false)) counts.escape++
        if (c.roundEnds && hasEnd(body)) counts.roundEnd++
        return { _tag: "Repeat", param, body }
      }
      case "par": {
        const id = pars++
        const branches = i.branches.map((b, j) =>
          seq(b, {
            enclosing: i.leak ? ctx.enclosing : [],
            ends: i.leak ? ctx.ends : "none",
            lane: [...ctx.lane, [id, j] as const]
          }, true)
        )
        if (i.leak && branches.some((b) => escapes(b, ctx, true))) counts.escape++
        return { _tag: "Parallel", branches }
      }
      case "timeout": {
        const name = `${prefix}t${timeouts++}`
        const at = i.at % nRoles
        // Like a parallel branch: no recur out, no end(); on the lane of the step.
        const inner: Ctx = { enclosing: [], ends: "none", lane: ctx.lane }
        const body0 = seq(i.body, inner, true)
        const fallback = seq(i.fallback, inner, true)
        // `at` races its own part of the body: it must have one.
        const body = actors(body0).has(roles[at])
          ? body0
          : [...body0, msg({ ...i.guard, from: at, to: i.guard.to })]
        return { _tag: "Timeout", at: roles[at], name, duration: c.timeoutDuration, body, fallback }
      }
      case "saga": {
        const name = `${prefix}g${sagas++}`
        const owner = i.owner % nRoles
        const peer = (owner + 1 + (i.peer % (nRoles - 1))) % nRoles
        const inner: Ctx = { enclosing: [], ends: "none", lane: ctx.lane }
        // The forward part begins with the owner's message of the saga's own label: a driver
        // told to fail the saga fails its send (see `implementAll`).
        const start: TreeStep = { _tag: "Msg", from: roles[owner], to: roles[peer], label: label(name) }
        const forward = [start, ...seq(i.forward, inner, true)]
        const compensate = seq(i.compensate, inner, true)
        return { _tag: "Saga", owner: roles[owner], name, forward, compensate }
      }
      case "loop": {
        const name = `${prefix}l${loops++}`
        const body = i.tail === undefined ? i.body : { items: [...i.body.items, i.tail], term: i.body.term }
        return { _tag: "Loop", name, body: seq(body, { ...ctx, enclosing: [...ctx.enclosing, name] }, i.bodyRecur) }
      }
      case "choice": {
        const name = `${prefix}c${choices++}`
        const at = roles[i.at % nRoles]
        const n = i.branches.length
        const safe = i.safe < 0 ? -1 : i.safe % n
        if (safe < 0) counts.noSafeBranch++
        const common = i.common.map(msg)
        // The chooser tells every role in a branch that may end: there, `end()` may be.
        const inBranch: Ctx = { ...ctx, ends: ctx.ends === "informed" ? "any" : ctx.ends }
        const bodies = i.branches.map((b, j) => ({
          items: b.items.map((x) => item(x, inBranch)),
          end: term(b.term, inBranch, j !== safe),
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
  const steps = seq(raw.seq, { enclosing: [], ends: "any", lane: [] }, false)
  const tree0 = { name, roles, labels: [...labels].sort(), steps, params: {}, perturbations: counts }
  // The parameters and perturbations of the sub-protocols composed here count here too.
  const used = subProtocols(tree0)
  for (const sub of subs) {
    if (!used.includes(sub)) continue
    Object.assign(params, sub.params)
    for (const k of Object.keys(counts) as Array<keyof Perturbations>) counts[k] += sub.perturbations[k]
  }
  return { ...tree0, params }
}

const treeArbitrary = (fc: FastCheckModule, o: ArbitraryOptions, free: boolean, name: string): FastCheck.Arbitrary<ProtocolTree> => {
  const c = config(o)
  return rawProtocolArbitrary(fc, c, free)
    .map((raw) => normalize(raw, Math.min(c.maxRoles, Math.max(c.minRoles, raw.roles)), ROLE_NAMES, c, free, name, ""))
    .filter((t) => size(t.steps) <= c.maxSize && consistentChoices(t))
}

/**
 * The arbitraries of generated protocols, built with the fast-check module `fc`: the one the
 * properties that use them run with (`quadrille/testing/arbitrary` passes fast-check 4,
 * `quadrille/testing/arbitrary/effect` the fast-check of `effect/FastCheck`).
 *
 * @category arbitraries
 */
export const protocolArbitraries = (fc: FastCheckModule) => {
  /**
   * Trees of protocols that are well formed by construction: in every branch the chooser first
   * tells each role that acts in the choice (every other role when a branch may end or go round
   * a loop) the branch, with a label of its own; every loop has a way out (each choice has a
   * branch that does not `recur`, loop bodies do not end with `recur`); a message comes before
   * every `recur`. Rounds of a `repeat` and parallel branches `recur` only to their own loops;
   * parallel branches never `end()`, rounds only in a branch of a choice (whose chooser tells
   * every role). Sub-protocols are generated by the same scheme; one that may `end()` is
   * composed only over every role, where `end()` may be.
   */
  const wellFormedTree = (options: ArbitraryOptions = {}): FastCheck.Arbitrary<ProtocolTree> =>
    treeArbitrary(fc, options, false, "WellFormed")

  /**
   * Well-formed protocols (see `wellFormedTree`), built with `Protocol.make`. Generating one that
   * the library rejects throws.
   */
  const wellFormedProtocol = (options: ArbitraryOptions = {}): FastCheck.Arbitrary<Generated> =>
    wellFormedTree(options).map(generated)

  /**
   * Freer trees, which may or may not be well formed: roles are told the branch by the chooser,
   * by another role that was told (relay), with a label shared by all branches, after other
   * steps of the branch, or not at all; some choices have no branch that stays out of `recur`,
   * and loop bodies may end with `recur`. Sub-protocols that may `end()` are composed over some
   * of the roles only; now and then a parallel branch or a round `recur`s outward or a branch
   * `end()`s.
   */
  const freeTree = (options: ArbitraryOptions = {}): FastCheck.Arbitrary<ProtocolTree> =>
    treeArbitrary(fc, options, true, "Free")

  /**
   * The free trees (see `freeTree`) that `Protocol.makeEither` accepts, built: these exercise
   * full merging (roles that behave the same in every branch, roles told by a role that was
   * told).
   */
  const mergeableProtocol = (options: ArbitraryOptions = {}): FastCheck.Arbitrary<Generated> =>
    freeTree(options)
      .map((tree) => ({ tree, built: build(tree) }))
      .filter((x) => Either.isRight(x.built))
      .map((x) => fromBuilt(x.tree, Either.getOrThrow(x.built)))

  return { wellFormedTree, wellFormedProtocol, freeTree, mergeableProtocol }
}

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
 * What a generated implementation did, in the order its handlers were called: sent a payload
 * (the receiver is known from who received it), received one, or made a decision.
 *
 * @category models
 */
export type RoleEvent =
  | { readonly _tag: "Send"; readonly label: string; readonly payload: number }
  | { readonly _tag: "Recv"; readonly from: string; readonly label: string; readonly payload: number }
  | { readonly _tag: "Decision"; readonly choice: string; readonly branch: string }

/**
 * What the generated implementations did that their states cannot hold (send and choose
 * handlers do not return a state): per role, what it sent and what it decided, in order, and
 * every event of its handlers in the order they were called.
 *
 * @category models
 */
export interface RunLog {
  readonly sent: Readonly<Record<string, Array<{ readonly label: string; readonly payload: number }>>>
  readonly decisions: Readonly<Record<string, Array<Decision>>>
  readonly events: Readonly<Record<string, Array<RoleEvent>>>
  /**
   * Per role, the fallbacks it took, in order: a timeout that ran out (its `onTimeout`
   * handler ran) or a saga it compensated (its `onCompensate` handler ran). Empty in a run
   * in which every timeout was in time and every saga committed.
   */
  readonly fallbacks: Readonly<Record<string, Array<{ readonly _tag: "Timeout" | "Compensate"; readonly name: string }>>>
}

/**
 * The typed failure of a generated send handler told to fail a saga (see `implementAll`'s
 * `failSagas`): it makes the saga compensate.
 *
 * @category models
 */
export class SagaStepFailed extends Data.TaggedError("SagaStepFailed")<{ readonly saga: string; readonly role: string; readonly message: string }> {}

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
  /**
   * Whether the handlers answer with Effects instead of plain values (default false);
   * `"yield"`: receive handlers with Effects that let other fibers run before they answer
   * (the others with `Effect.succeed`), so that handlers of concurrent parallel branches of
   * one role overlap.
   */
  readonly effectful?: boolean | "yield"
  /**
   * Most handler calls of a run, all roles together (default 100 000): one more throws, so a
   * run that does not end fails at once (a timeout around `Session.run` may not fire soon while
   * every role can go on: Effect lets timers run only every so many rounds of its fibers).
   */
  readonly maxEvents?: number
  /**
   * Which runs of which sagas to fail (default none): the owner's send of the message that
   * begins the forward part (labelled with the saga's name) fails with `SagaStepFailed` when
   * this answers true for the saga and its run (0 for the first run of that saga in the
   * session, 1 for the next...), and the saga compensates.
   */
  readonly failSagas?: (saga: string, run: number) => boolean
}

/** A generated implementation of one role. @category models */
export type GeneratedImplementation = Role.Implementation<GeneratedProtocol, string, RoleState, SagaStepFailed>

/**
 * An implementation of every role of a generated protocol, with `Role.implement`. Each send
 * answers a number that is unique in the run and tells the sender; each receive appends
 * `{ from, label, payload }` to the state; each choice takes a branch picked by the next of
 * `decisions` (modulo the number of branches), and after `freeChoices` choices a branch toward
 * the end, so that every run ends. Returns the implementations and the log they fill as they
 * run: make new ones for every run. Run them with the session parameters `g.tree.params`.
 *
 * @category constructors
 */
export const implementAll = (
  g: Generated,
  decisions: ReadonlyArray<number>,
  options: ImplementOptions = {}
): { readonly implementations: Record<string, GeneratedImplementation>; readonly log: RunLog } => {
  const { choices, protocol, tree } = g
  const freeChoices = options.freeChoices ?? 8
  const answer = <A>(a: A): A | Effect.Effect<A> => (options.effectful ? Effect.succeed(a) : a)
  const answerState = (s: RoleState): RoleState | Effect.Effect<RoleState> =>
    options.effectful === "yield" ? Effect.as(Effect.yieldNow(), s) : answer(s)
  const n = tree.roles.length
  const labels = allLabels(tree)
  const log: RunLog = {
    sent: Object.fromEntries(tree.roles.map((r) => [r, []])),
    decisions: Object.fromEntries(tree.roles.map((r) => [r, []])),
    events: Object.fromEntries(tree.roles.map((r) => [r, []])),
    fallbacks: Object.fromEntries(tree.roles.map((r) => [r, []]))
  }
  const { sagas, timeouts } = barriersOf(tree)
  const sagaRuns = new Map<string, number>()
  const failSagas = options.failSagas
  let next = 0
  let calls = 0
  const maxEvents = options.maxEvents ?? 100_000
  const record = (role: string, e: RoleEvent) => {
    if (++calls > maxEvents) throw new Error(`runaway: more than ${maxEvents} handler calls, the run does not end`)
    log.events[role].push(e)
  }
  const implementations: Record<string, GeneratedImplementation> = {}
  tree.roles.forEach((role, index) => {
    const send: Record<string, (s: RoleState) => number | Effect.Effect<number, SagaStepFailed>> = {}
    const recv: Record<string, (s: RoleState, payload: number) => RoleState | Effect.Effect<RoleState>> = {}
    for (const label of labels) {
      send[label] = () => {
        if (failSagas !== undefined && sagas.has(label)) {
          const run = sagaRuns.get(label) ?? 0
          sagaRuns.set(label, run + 1)
          if (failSagas(label, run)) {
            return Effect.fail(new SagaStepFailed({ saga: label, role, message: `${role} was told to fail run ${run} of saga '${label}'` }))
          }
        }
        const payload = next++ * n + index
        record(role, { _tag: "Send", label, payload })
        log.sent[role].push({ label, payload })
        return answer(payload)
      }
      recv[label] = (s, payload) => {
        const from = tree.roles[payload % n]
        record(role, { _tag: "Recv", from, label, payload })
        return answerState({ role: s.role, received: [...s.received, { from, label, payload }] })
      }
    }
    const choose: Record<string, (s: RoleState) => string | Effect.Effect<string>> = {}
    for (const [name, info] of Object.entries(choices)) {
      if (!info.roles.includes(role)) continue
      choose[name] = () => {
        const k = log.decisions[role].length
        const branch = k < freeChoices && decisions.length > 0
          ? info.branches[decisions[(k + index * 3) % decisions.length] % info.branches.length]
          : (info.towardEnd[0] ?? info.branches[0])
        record(role, { _tag: "Decision", choice: name, branch })
        log.decisions[role].push({ choice: name, branch })
        return answer(branch)
      }
    }
    // Every role is given a handler for every timeout and saga: required where it decides a
    // timeout, optional elsewhere; each records the fallback taken.
    const fallback = (_tag: "Timeout" | "Compensate", name: string) => (s: RoleState) => {
      log.fallbacks[role].push({ _tag, name })
      return answer(s)
    }
    const onTimeout = Object.fromEntries([...timeouts.keys()].map((name) => [name, fallback("Timeout", name)]))
    const onCompensate = Object.fromEntries([...sagas.keys()].map((name) => [name, fallback("Compensate", name)]))
    implementations[role] = Role.implement(
      protocol,
      role,
      { send, recv, choose, onTimeout, onCompensate } as never,
      { role, received: [] } as RoleState
    ) as unknown as GeneratedImplementation
  })
  return { implementations, log }
}

/**
 * Checks a finished run of the implementations of `implementAll` against the global protocol:
 * every role has a result, its own; the run is the replay of the protocol along the decisions
 * the roles made; every payload sent was received exactly once, by the role it was for, with
 * its label; each role's state holds what its receive handlers returned; each role sent,
 * received and decided in an order the protocol allows (on each lane in the protocol's order,
 * across the branches of a parallel in any); and between each pair of roles, the messages of
 * one lane were received in the order they were sent. Answers what is wrong, or `undefined`.
 *
 * @category utils
 */
export const verifyRun = (
  g: Generated,
  log: RunLog,
  results: Readonly<Record<string, RoleState>>
): string | undefined => {
  const roles = g.tree.roles
  const ended = Object.keys(results).sort()
  if (JSON.stringify(ended) !== JSON.stringify([...roles].sort())) return `the roles with a result are ${ended.join(", ")}`
  for (const role of roles) if (results[role].role !== role) return `the result of ${role} is that of ${results[role].role}`

  for (const role of roles) {
    const f = log.fallbacks?.[role]?.[0]
    if (f !== undefined) {
      return `${role} took the fallback of ${f._tag === "Timeout" ? "timeout" : "saga"} '${f.name}': the replay follows runs in which every timeout is in time and every saga commits`
    }
  }
  const trace = replay(g.tree, log.decisions)
  if (Either.isLeft(trace)) return `the run does not follow the protocol: ${trace.left}`

  // Every payload sent is received once, by one role, with its label.
  const sent = new Map<number, { readonly from: string; readonly label: string; readonly index: number }>()
  const received = new Map<number, { readonly to: string; readonly index: number }>()
  for (const role of roles) {
    log.events[role].forEach((e, index) => {
      if (e._tag === "Send") sent.set(e.payload, { from: role, label: e.label, index })
    })
  }
  for (const role of roles) {
    for (const [index, e] of log.events[role].entries()) {
      if (e._tag !== "Recv") continue
      const s = sent.get(e.payload)
      if (s === undefined) return `${role} received payload ${e.payload} (${e.label}), which was never sent`
      if (s.from !== e.from || s.label !== e.label) {
        return `${role} received payload ${e.payload} as ${e.label} from ${e.from}, but ${s.from} sent it as ${s.label}`
      }
      const before = received.get(e.payload)
      if (before !== undefined) return `payload ${e.payload} (${e.label}) was received twice, by ${before.to} and ${role}`
      received.set(e.payload, { to: role, index })
    }
  }
  for (const [payload, s] of sent) {
    if (!received.has(payload)) return `${s.from} sent ${s.label} (payload ${payload}), which nobody received`
  }
  // The states hold what the receive handlers returned, in order.
  for (const role of roles) {
    const want = log.events[role].flatMap((e) => (e._tag === "Recv" ? [{ from: e.from, label: e.label, payload: e.payload }] : []))
    if (JSON.stringify(results[role].received) !== JSON.stringify(want)) {
      return `the state of ${role} does not hold what its receive handlers returned: ${
        JSON.stringify(results[role].received.map((r) => r.payload))
      }, but the handlers received ${JSON.stringify(want.map((r) => r.payload))}`
    }
  }
  // Each role, in the order of its handlers.
  for (const role of roles) {
    const expected = trace.right.flatMap((e) =>
      e._tag === "Decision"
        ? e.role === role ? [{ key: `#${e.choice}:${e.branch}`, lane: e.lane }] : []
        : e.from === role
        ? [{ key: `!${e.to}:${e.label}`, lane: e.lane }]
        : e.to === role
        ? [{ key: `?${e.from}:${e.label}`, lane: e.lane }]
        : []
    )
    const observed = log.events[role].map((e, i) => ({
      key: e._tag === "Decision"
        ? `#${e.choice}:${e.branch}`
        : e._tag === "Send"
        ? `!${received.get(e.payload)!.to}:${e.label}`
        : `?${e.from}:${e.label}`,
      at: [i]
    }))
    const wrong = checkOrder(expected, observed)
    if (wrong !== undefined) return `what ${role} did (!send ?receive #decide) is ${wrong}`
  }
  // Each pair: per lane, received in the order sent.
  for (const from of roles) {
    for (const to of roles) {
      if (from === to) continue
      const expected = trace.right.flatMap((e) =>
        e._tag === "Msg" && e.from === from && e.to === to ? [{ key: e.label, lane: e.lane }] : []
      )
      const observed: Array<{ readonly key: string; readonly at: ReadonlyArray<number> }> = []
      for (const [payload, r] of received) {
        const s = sent.get(payload)!
        if (s.from === from && r.to === to) observed.push({ key: s.label, at: [s.index, r.index] })
      }
      const wrong = checkOrder(expected, observed)
      if (wrong !== undefined) return `the messages ${from} -> ${to} (at: sender's event, receiver's event) are ${wrong}`
    }
  }
  return undefined
}
