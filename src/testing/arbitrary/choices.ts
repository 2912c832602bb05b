/**
 * What a driver of a generated protocol needs to know of its choices: who makes each, and the
 * branches on a shortest way to the end (so that generated implementations always finish).
 *
 * @since 0.1.0
 */
import { type ChoiceInfo, innerSteps, type ProtocolTree, type TreeStep } from "./tree.js"

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
 * reached is never listed; `towardEnd` is empty only when no branch reaches the end: a choice
 * in the body of a forever loop that no path leaves (then `implementAll` takes the first
 * branch, and the run goes on until it is stopped). For a choice of a sub-protocol composed more than
 * once, `towardEnd` are the branches shortest at every place (see `consistentChoices`).
 *
 * @example
 * ```ts
 * import { choicesOf, noPerturbations } from "quadrille/testing/arbitrary"
 *
 * const choices = choicesOf({
 *   name: "P", roles: ["A", "B"], labels: ["m", "x", "y"], params: {}, perturbations: noPerturbations,
 *   steps: [{ _tag: "Loop", name: "L", body: [{ _tag: "Choice", at: "A", name: "c", branches: [
 *     { label: "x", steps: [{ _tag: "Msg", from: "A", to: "B", label: "x" }, { _tag: "Recur", name: "L" }] },
 *     { label: "y", steps: [{ _tag: "Msg", from: "A", to: "B", label: "y" }] }
 *   ] }] }]
 * })
 * // choices.c: { at: "A", roles: ["A"], branches: ["x", "y"], towardEnd: ["y"] }
 * ```
 *
 * @since 0.1.0
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
 * @example
 * ```ts
 * import fc from "fast-check"
 * import { consistentChoices, wellFormedTree } from "quadrille/testing/arbitrary"
 *
 * // The arbitraries only draw trees whose drivers can finish knowing a choice by its name.
 * fc.assert(fc.property(wellFormedTree(), consistentChoices))
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const consistentChoices = (tree: ProtocolTree): boolean => {
  for (const occurrences of choiceOccurrences(tree).values()) {
    const reaching = occurrences.filter((o) => o.best.length > 0)
    if (reaching.length > 1 && !reaching[0].best.some((l) => reaching.every((o) => o.best.includes(l)))) return false
  }
  return true
}
