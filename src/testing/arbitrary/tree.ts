/**
 * Generated protocols as data: the tree of steps a protocol is built from (`TreeStep`,
 * `ProtocolTree`), what a built one carries (`Generated`), and the walks over trees that the
 * builders, drivers and oracles share.
 *
 * A new kind of step plugs in here first: add it to `TreeStep` and to `innerSteps`; the
 * switches over `_tag` elsewhere are exhaustive, so the compiler then names every place that
 * must learn it (printing in `code.ts`, building in `build.ts`, driving in `choices.ts`, the
 * replay in `replay.ts`), and a generator of it goes among the items of
 * `internal/shapes.ts`.
 *
 * @since 0.1.0
 */
import type { Schema } from "effect"
import type { toStringMethod } from "../../internal/fast-check.js"
import type * as Protocol from "../../protocol/index.js"

/**
 * A step of a generated protocol, as plain data: the tree the protocol was built from.
 * `Compose` holds the tree of the sub-protocol itself; the same sub-protocol may be composed
 * several times (it is then built once and composed with each mapping).
 *
 * @example
 * ```ts
 * import type { TreeStep } from "quadrille/testing/arbitrary"
 *
 * // A ping-pong loop with a way out, as data.
 * const steps: ReadonlyArray<TreeStep> = [
 *   { _tag: "Loop", name: "L", body: [
 *     { _tag: "Msg", from: "A", to: "B", label: "ping" },
 *     { _tag: "Choice", at: "B", name: "more", branches: [
 *       { label: "x", steps: [{ _tag: "Msg", from: "B", to: "A", label: "again" }, { _tag: "Recur", name: "L" }] },
 *       { label: "y", steps: [{ _tag: "Msg", from: "B", to: "A", label: "stop" }] }
 *     ] }
 *   ] }
 * ]
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type TreeStep =
  | { readonly _tag: "Msg"; readonly from: string; readonly to: string; readonly label: string }
  | { readonly _tag: "Broadcast"; readonly from: string; readonly to: ReadonlyArray<string>; readonly label: string }
  | { readonly _tag: "Choice"; readonly at: string; readonly name: string; readonly branches: ReadonlyArray<TreeBranch> }
  /** `forever`: built with `forever(name, body)`, a loop that needs no way out (generated with the option `forever`). */
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
 * @example
 * ```ts
 * import type { TreeBranch } from "quadrille/testing/arbitrary"
 *
 * const stop: TreeBranch = { label: "y", steps: [{ _tag: "Msg", from: "B", to: "A", label: "stop" }] }
 * ```
 *
 * @since 0.1.0
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
 * @example
 * ```ts
 * import fc from "fast-check"
 * import { mergeableProtocol } from "quadrille/testing/arbitrary"
 *
 * // Roles told the branch by a role that was told: full merging at work.
 * const relayed = fc.sample(mergeableProtocol(), { numRuns: 100, seed: 1 }).filter((g) => g.tree.perturbations.relayed > 0)
 * ```
 *
 * @since 0.1.0
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

/**
 * No perturbation at all: the counts of a tree built exactly as drawn.
 *
 * @example
 * ```ts
 * import { noPerturbations, type ProtocolTree } from "quadrille/testing/arbitrary"
 *
 * const PingPong: ProtocolTree = {
 *   name: "PingPong",
 *   roles: ["A", "B"],
 *   labels: ["ping", "pong"],
 *   steps: [{ _tag: "Msg", from: "A", to: "B", label: "ping" }, { _tag: "Msg", from: "B", to: "A", label: "pong" }],
 *   params: {},
 *   perturbations: noPerturbations
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
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
 * @example
 * ```ts
 * import { build, noPerturbations, type ProtocolTree } from "quadrille/testing/arbitrary"
 *
 * const tree: ProtocolTree = {
 *   name: "Rounds",
 *   roles: ["A", "B"],
 *   labels: ["tick"],
 *   steps: [{ _tag: "Repeat", param: "r", body: [{ _tag: "Msg", from: "A", to: "B", label: "tick" }] }],
 *   params: { r: 3 },
 *   perturbations: noPerturbations
 * }
 * const protocol = build(tree) // Right: the protocol, run with { params: tree.params }
 * ```
 *
 * @since 0.1.0
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

/**
 * The catalogue of a generated protocol: every label carries a number.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import type { NumberCatalogue } from "quadrille/testing/arbitrary"
 *
 * const messages: NumberCatalogue = { ping: Schema.Number, pong: Schema.Number }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type NumberCatalogue = { readonly [label: string]: typeof Schema.Number }

/**
 * A protocol built from a `ProtocolTree`.
 *
 * @example
 * ```ts
 * import { Protocol } from "quadrille"
 * import { generated, noPerturbations, type GeneratedProtocol } from "quadrille/testing/arbitrary"
 *
 * const protocol: GeneratedProtocol = generated({
 *   name: "One", roles: ["A", "B"], labels: ["m"], params: {}, perturbations: noPerturbations,
 *   steps: [{ _tag: "Msg", from: "A", to: "B", label: "m" }]
 * }).protocol
 * const local = Protocol.project(protocol, "B") // Recv from A, then End
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type GeneratedProtocol = Protocol.Protocol<string, string, NumberCatalogue, unknown>

/**
 * What a driver needs to know about a choice: who makes it (`at`; `roles` lists every role
 * that makes it, several when a sub-protocol is composed with different mappings), its
 * branches, and the branches on a shortest path to the end of the protocol, or of the
 * parallel branch the choice is in (taking one of them at every choice makes every run
 * finish).
 *
 * @example
 * ```ts
 * import fc from "fast-check"
 * import { wellFormedProtocol } from "quadrille/testing/arbitrary"
 *
 * const [g] = fc.sample(wellFormedProtocol(), { numRuns: 1, seed: 7 })
 * for (const [name, info] of Object.entries(g.choices)) {
 *   console.log(`${info.at} makes ${name}: ${info.branches.join("|")}, toward the end: ${info.towardEnd.join("|")}`)
 * }
 * ```
 *
 * @since 0.1.0
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
 * @example
 * ```ts
 * import fc from "fast-check"
 * import { type Generated, wellFormedProtocol } from "quadrille/testing/arbitrary"
 *
 * // A counterexample prints as the Protocol.make calls that build it.
 * fc.assert(fc.property(wellFormedProtocol(), (g: Generated) => g.tree.roles.length >= 2))
 * ```
 *
 * @since 0.1.0
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
 * @example
 * ```ts
 * import { innerSteps, type TreeStep } from "quadrille/testing/arbitrary"
 *
 * // The messages of some steps, at any depth.
 * const messages = (steps: ReadonlyArray<TreeStep>): number =>
 *   steps.reduce((n, s) => n + (s._tag === "Msg" ? 1 : 0) + innerSteps(s).reduce((m, inner) => m + messages(inner), 0), 0)
 * ```
 *
 * @since 0.1.0
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

/**
 * Counts the steps of a tree; a composed sub-protocol counts its steps every time.
 *
 * @example
 * ```ts
 * import fc from "fast-check"
 * import { size, wellFormedTree } from "quadrille/testing/arbitrary"
 *
 * fc.assert(fc.property(wellFormedTree({ maxSize: 40 }), (tree) => size(tree.steps) <= 40))
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const size = (steps: ReadonlyArray<TreeStep>): number =>
  steps.reduce((n, s) => n + 1 + innerSteps(s).reduce((m, inner) => m + size(inner), 0), 0)

/**
 * The roles that take part in some step of `steps` (send, receive or choose), through
 * composed sub-protocols (renamed) too.
 *
 * @example
 * ```ts
 * import fc from "fast-check"
 * import { actors, wellFormedTree } from "quadrille/testing/arbitrary"
 *
 * const [tree] = fc.sample(wellFormedTree(), { numRuns: 1, seed: 3 })
 * const idle = tree.roles.filter((r) => !actors(tree.steps).has(r)) // roles with no part at all
 * ```
 *
 * @since 0.1.0
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

/**
 * Whether `end()` occurs anywhere in some steps, composed sub-protocols included.
 *
 * @example
 * ```ts
 * import fc from "fast-check"
 * import { hasEnd, wellFormedTree } from "quadrille/testing/arbitrary"
 *
 * const ending = fc.sample(wellFormedTree(), { numRuns: 50, seed: 1 }).filter((t) => hasEnd(t.steps)).length
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const hasEnd = (steps: ReadonlyArray<TreeStep>): boolean =>
  steps.some((s) => s._tag === "End" || innerSteps(s).some(hasEnd))

/**
 * The names of the loops some steps `recur` to that they do not themselves enclose (composed
 * sub-protocols never recur out of themselves).
 *
 * @example
 * ```ts
 * import { freeRecurs } from "quadrille/testing/arbitrary"
 *
 * // A recur to 'L' outside any loop 'L': free.
 * const free = freeRecurs([{ _tag: "Msg", from: "A", to: "B", label: "m" }, { _tag: "Recur", name: "L" }]) // Set { "L" }
 * ```
 *
 * @since 0.1.0
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
 * @example
 * ```ts
 * import fc from "fast-check"
 * import { barriersOf, wellFormedTree } from "quadrille/testing/arbitrary"
 *
 * const [tree] = fc.sample(wellFormedTree({ timeouts: true, sagas: true }), { numRuns: 1, seed: 5 })
 * const { sagas, timeouts } = barriersOf(tree) // by name: the roles that decide each timeout, the owners of each saga
 * ```
 *
 * @since 0.1.0
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
 * @example
 * ```ts
 * import fc from "fast-check"
 * import { subProtocols, toCode, wellFormedTree } from "quadrille/testing/arbitrary"
 *
 * const [tree] = fc.sample(wellFormedTree({ compose: true }), { numRuns: 1, seed: 2 })
 * for (const sub of subProtocols(tree)) console.log(toCode(sub))
 * ```
 *
 * @since 0.1.0
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

/**
 * Every label of a protocol: its own and those of the sub-protocols it composes.
 *
 * @example
 * ```ts
 * import fc from "fast-check"
 * import { allLabels, wellFormedTree } from "quadrille/testing/arbitrary"
 *
 * fc.assert(fc.property(wellFormedTree(), (tree) => tree.labels.every((l) => allLabels(tree).includes(l))))
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const allLabels = (tree: ProtocolTree): ReadonlyArray<string> =>
  [...new Set([...tree.labels, ...subProtocols(tree).flatMap((s) => s.labels)])].sort()
