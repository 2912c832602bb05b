/**
 * Generated protocols with a family of roles (issue 16 part 3): trees of steps between two
 * fixed roles `A` and `C` and the members of a family `F` (broadcasts to it, gathers from it,
 * exchanges among its members, `forEach` over it in sequence or in parallel, inside `repeat`s
 * or not), built with `Protocol.make`; what a run at `n` members must show, computed from the
 * tree alone (the messages sent); generated implementations of every role; and misuses of
 * families, each rejected with `FamilyMisuse`. Used by tests/property-family.test.ts.
 *
 * @since 0.1.0
 */
import { type FastCheck, Schema } from "effect"
import type { FastCheckModule } from "../../internal/fast-check.js"
import { toStringMethod } from "../../internal/fast-check.js"
import { type Any, make, makeEither } from "../../protocol/Protocol.js"
import { implement } from "../../runtime/Role.js"
import type { Implementation } from "../../runtime/implementation.js"

/**
 * A fixed role of a generated family protocol.
 *
 * @example
 * ```ts
 * import { type FixedRole } from "quadrille/testing/arbitrary"
 *
 * const fixed: ReadonlyArray<FixedRole> = ["A", "C"]
 * assert.strictEqual(fixed.length, 2)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type FixedRole = "A" | "C"

/**
 * A step of the body of a `forEach`, with the member `m`.
 *
 * @example
 * ```ts
 * import { type MemberStep, type FamilyTree, messagesAt } from "quadrille/testing/arbitrary"
 *
 * // A then the member, the member then C: two messages per member.
 * const body: ReadonlyArray<MemberStep> = [{ kind: "toMember", from: "A", label: "K" }, { kind: "fromMember", to: "C", label: "L" }]
 * const tree: FamilyTree = { name: "Relay", steps: [{ kind: "forEach", parallel: true, body }], rounds: {} }
 * assert.strictEqual(messagesAt(tree, 4), 8)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type MemberStep =
  | { readonly kind: "toMember"; readonly from: FixedRole; readonly label: string }
  | { readonly kind: "fromMember"; readonly to: FixedRole; readonly label: string }

/**
 * A step of a generated family protocol.
 *
 * @example
 * ```ts
 * import { type FamilyStep, type FamilyTree, messagesAt } from "quadrille/testing/arbitrary"
 *
 * // Every member to every other member, twice (the repeat's rounds are the tree's).
 * const steps: ReadonlyArray<FamilyStep> = [{ kind: "repeat", param: "r0", body: [{ kind: "exchange", label: "M" }] }]
 * const tree: FamilyTree = { name: "Gossip", steps, rounds: { r0: 2 } }
 * assert.strictEqual(messagesAt(tree, 3), 12)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type FamilyStep =
  | { readonly kind: "msg"; readonly from: FixedRole; readonly to: FixedRole; readonly label: string }
  | { readonly kind: "broadcast"; readonly from: FixedRole; readonly label: string }
  | { readonly kind: "gather"; readonly to: FixedRole; readonly label: string }
  | { readonly kind: "exchange"; readonly label: string }
  | { readonly kind: "forEach"; readonly parallel: boolean; readonly body: ReadonlyArray<MemberStep> }
  | { readonly kind: "repeat"; readonly param: string; readonly body: ReadonlyArray<FamilyStep> }

/**
 * A generated protocol with the family `F`, and the rounds of each of its repeats.
 *
 * @example
 * ```ts
 * import { type FamilyTree, messagesAt } from "quadrille/testing/arbitrary"
 *
 * const tree: FamilyTree = {
 *   name: "Tally",
 *   steps: [
 *     { kind: "broadcast", from: "A", label: "K" },
 *     { kind: "forEach", parallel: false, body: [{ kind: "fromMember", to: "C", label: "L" }] }
 *   ],
 *   rounds: {}
 * }
 * // A broadcast to 3 members, then each of them to C.
 * assert.strictEqual(messagesAt(tree, 3), 6)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface FamilyTree {
  readonly name: string
  readonly steps: ReadonlyArray<FamilyStep>
  readonly rounds: Readonly<Record<string, number>>
}

/**
 * The labels of generated family protocols, each a number.
 *
 * @example
 * ```ts
 * import { familyLabels } from "quadrille/testing/arbitrary"
 *
 * assert.deepStrictEqual(familyLabels, ["K", "L", "M"])
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export const familyLabels = ["K", "L", "M"] as const

const catalogue = Object.fromEntries(familyLabels.map((l) => [l, Schema.Number]))

type Loose = {
  readonly [op: string]: (...args: ReadonlyArray<unknown>) => Loose
}

const addMember = (b: Loose, m: string, s: MemberStep): Loose => s.kind === "toMember" ? b.msg(s.from, m, s.label) : b.msg(m, s.to, s.label)

const addStep = (b: Loose, s: FamilyStep): Loose => {
  switch (s.kind) {
    case "msg":
      return b.msg(s.from, s.to, s.label)
    case "broadcast":
      return b.broadcast(s.from, "F", s.label)
    case "gather":
      return b.gather("F", s.to, s.label)
    case "exchange":
      return b.exchange("F", s.label)
    case "forEach":
      return b.forEach("F", (k: Loose, m: string) => s.body.reduce((acc, x) => addMember(acc, m, x), k), { parallel: s.parallel })
    case "repeat":
      return b.repeat(s.param, (k: Loose) => s.body.reduce(addStep, k))
  }
}

/**
 * The protocol of a tree, built with `Protocol.make` (roles `A`, `C`, family `F`). The builder
 * is driven loosely (the tree is data): its types are checked by the type tests instead.
 *
 * @example
 * ```ts
 * import { Protocol } from "quadrille"
 * import { buildFamily, type FamilyTree } from "quadrille/testing/arbitrary"
 *
 * const tree: FamilyTree = {
 *   name: "Tally",
 *   steps: [
 *     { kind: "broadcast", from: "A", label: "K" },
 *     { kind: "forEach", parallel: false, body: [{ kind: "fromMember", to: "C", label: "L" }] }
 *   ],
 *   rounds: {}
 * }
 * const protocol = buildFamily(tree)
 * assert.deepStrictEqual(protocol.families, ["F"])
 * assert.deepStrictEqual(Protocol.expand(protocol, { F: 2 }).roles, ["A", "C", "F[0]", "F[1]"])
 * ```
 *
 * @since 0.1.0
 * @category builders
 */
export const buildFamily = (tree: FamilyTree): Any =>
  make(tree.name, { roles: ["A", "C"], families: ["F"], messages: catalogue }, ((g: Loose) => tree.steps.reduce(addStep, g)) as never) as Any

/**
 * The number of messages a session of the tree with `n` members sends, from the tree alone.
 *
 * @example
 * ```ts
 * import { messagesAt, type FamilyTree } from "quadrille/testing/arbitrary"
 *
 * const tree: FamilyTree = {
 *   name: "Tally",
 *   steps: [
 *     { kind: "broadcast", from: "A", label: "K" },
 *     { kind: "forEach", parallel: false, body: [{ kind: "fromMember", to: "C", label: "L" }] }
 *   ],
 *   rounds: {}
 * }
 * assert.strictEqual(messagesAt(tree, 1), 2)
 * assert.strictEqual(messagesAt(tree, 10), 20)
 * ```
 *
 * @since 0.1.0
 * @category oracles
 */
export const messagesAt = (tree: FamilyTree, n: number): number => {
  const count = (steps: ReadonlyArray<FamilyStep>): number =>
    steps.reduce((sum, s) => {
      switch (s.kind) {
        case "msg":
          return sum + 1
        case "broadcast":
        case "gather":
          return sum + n
        case "exchange":
          return sum + n * (n - 1)
        case "forEach":
          return sum + n * s.body.length
        case "repeat":
          return sum + (tree.rounds[s.param] ?? 0) * count(s.body)
      }
    }, 0)
  return count(tree.steps)
}

/**
 * The messages each member receives in a session with `n` members, from the tree alone: the same for every member.
 *
 * @example
 * ```ts
 * import { memberReceivesAt, type FamilyTree } from "quadrille/testing/arbitrary"
 *
 * // In an exchange each member hears from every other one.
 * const tree: FamilyTree = { name: "Gossip", steps: [{ kind: "broadcast", from: "A", label: "K" }, { kind: "exchange", label: "M" }], rounds: {} }
 * assert.strictEqual(memberReceivesAt(tree, 4), 4)
 * ```
 *
 * @since 0.1.0
 * @category oracles
 */
export const memberReceivesAt = (tree: FamilyTree, n: number): number => {
  const count = (steps: ReadonlyArray<FamilyStep>): number =>
    steps.reduce((sum, s) => {
      switch (s.kind) {
        case "broadcast":
          return sum + 1
        case "exchange":
          return sum + n - 1
        case "forEach":
          return sum + s.body.filter((x) => x.kind === "toMember").length
        case "repeat":
          return sum + (tree.rounds[s.param] ?? 0) * count(s.body)
        default:
          return sum
      }
    }, 0)
  return count(tree.steps)
}

/**
 * The tree as the builder code that makes it.
 *
 * @example
 * ```ts
 * import { printFamily, type FamilyTree } from "quadrille/testing/arbitrary"
 *
 * const tree: FamilyTree = {
 *   name: "Tally",
 *   steps: [
 *     { kind: "broadcast", from: "A", label: "K" },
 *     { kind: "forEach", parallel: false, body: [{ kind: "fromMember", to: "C", label: "L" }] }
 *   ],
 *   rounds: {}
 * }
 * assert.ok(printFamily(tree).includes(`.broadcast("A", "F", "K").forEach("F", (b, m) => b.msg(m, "C", "L"))`))
 * ```
 *
 * @since 0.1.0
 * @category printing
 */
export const printFamily = (tree: FamilyTree): string => {
  const member = (s: MemberStep) => s.kind === "toMember" ? `.msg("${s.from}", m, "${s.label}")` : `.msg(m, "${s.to}", "${s.label}")`
  const step = (s: FamilyStep): string => {
    switch (s.kind) {
      case "msg":
        return `.msg("${s.from}", "${s.to}", "${s.label}")`
      case "broadcast":
        return `.broadcast("${s.from}", "F", "${s.label}")`
      case "gather":
        return `.gather("F", "${s.to}", "${s.label}")`
      case "exchange":
        return `.exchange("F", "${s.label}")`
      case "forEach":
        return `.forEach("F", (b, m) => b${s.body.map(member).join("")}${s.parallel ? ", { parallel: true }" : ""})`
      case "repeat":
        return `.repeat("${s.param}", (b) => b${s.body.map(step).join("")})`
    }
  }
  return `Protocol.make("${tree.name}", { roles: ["A", "C"], families: ["F"], messages }, (g) => g${tree.steps.map(step).join("")}) // rounds ${JSON.stringify(tree.rounds)}`
}

/**
 * What a generated role records: every message it received, as `peer:label`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Session } from "quadrille"
 * import { buildFamily, implementFamily, type FamilyTree, type Heard } from "quadrille/testing/arbitrary"
 *
 * const tree: FamilyTree = {
 *   name: "Tally",
 *   steps: [
 *     { kind: "broadcast", from: "A", label: "K" },
 *     { kind: "forEach", parallel: false, body: [{ kind: "fromMember", to: "C", label: "L" }] }
 *   ],
 *   rounds: {}
 * }
 * const protocol = buildFamily(tree)
 * const results = await Effect.runPromise(Session.run(protocol, implementFamily(protocol), { params: { F: 2 } }))
 * // Each member heard the broadcast from A. (The protocol is built at run time, typed `Any`,
 * // so its results' type does not say which roles are families: F's is a list.)
 * const members = results.F as ReadonlyArray<Heard>
 * assert.deepStrictEqual(members, [["A:K"], ["A:K"]])
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Heard = ReadonlyArray<string>

/**
 * One implementation for each role and for the family (run by every member): every send
 * sends the number of messages the role has heard, every receive records `peer:label`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Session } from "quadrille"
 * import { buildFamily, implementFamily, type FamilyTree, type Heard } from "quadrille/testing/arbitrary"
 *
 * const tree: FamilyTree = {
 *   name: "Tally",
 *   steps: [
 *     { kind: "broadcast", from: "A", label: "K" },
 *     { kind: "forEach", parallel: false, body: [{ kind: "fromMember", to: "C", label: "L" }] }
 *   ],
 *   rounds: {}
 * }
 * const protocol = buildFamily(tree)
 * const results = await Effect.runPromise(Session.run(protocol, implementFamily(protocol), { params: { F: 2 } }))
 * assert.deepStrictEqual(results, { A: [], C: ["F[0]:L", "F[1]:L"], F: [["A:K"], ["A:K"]] })
 * ```
 *
 * @since 0.1.0
 * @category implementations
 */
export const implementFamily = (protocol: Any): Record<"A" | "C" | "F", Implementation<Any, string, Heard>> => {
  const handlers = {
    send: Object.fromEntries(familyLabels.map((l) => [l, (s: Heard) => s.length])),
    recv: Object.fromEntries(familyLabels.map((l) => [l, (s: Heard, _: number, c: { readonly peer: string }) => [...s, `${c.peer}:${l}`]]))
  }
  // The protocol is data: its handler types are not known statically.
  const one = (role: string) => implement(protocol, role as never, handlers as never, [] as Heard) as unknown as Implementation<Any, string, Heard>
  return { A: one("A"), C: one("C"), F: one("F") }
}

/**
 * A misuse of the family in a tree, and the tree's steps with it.
 *
 * @example
 * ```ts
 * import { Either } from "effect"
 * import fc from "fast-check"
 * import { familyMisuse, type FamilyMisuse } from "quadrille/testing/arbitrary"
 *
 * const [misuse]: ReadonlyArray<FamilyMisuse> = fc.sample(familyMisuse(), 1)
 * const built = misuse.build()
 * assert.ok(Either.isLeft(built) && built.left.rule === "FamilyMisuse", misuse.defect)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface FamilyMisuse {
  readonly tree: FamilyTree
  /** What was changed, in words. */
  readonly defect: string
  /** The steps with the misuse, for `makeEither`. */
  readonly build: () => ReturnType<typeof makeEither>
}

const misuses = ["familyAsRole", "roleAsFamily", "nested", "endInside"] as const

/**
 * The arbitraries of family protocols, built with the fast-check module `fc`: the entries
 * (`quadrille/testing/arbitrary`, `.../effect`) export them built, as `familyTree` and
 * `familyMisuse`.
 *
 * @internal
 */
export const familyArbitraries = (fc: FastCheckModule) => {
  const fixed = fc.constantFrom<FixedRole>("A", "C")
  const label = fc.constantFrom(...familyLabels)
  const memberStep: FastCheck.Arbitrary<MemberStep> = fc.oneof(
    fc.record({ kind: fc.constant("toMember" as const), from: fixed, label }),
    fc.record({ kind: fc.constant("fromMember" as const), to: fixed, label })
  )
  const flat = fc.oneof(
    fc.record({ kind: fc.constant("msg" as const), from: fc.constant<FixedRole>("A"), to: fc.constant<FixedRole>("C"), label }),
    fc.record({ kind: fc.constant("msg" as const), from: fc.constant<FixedRole>("C"), to: fc.constant<FixedRole>("A"), label }),
    fc.record({ kind: fc.constant("broadcast" as const), from: fixed, label }),
    fc.record({ kind: fc.constant("gather" as const), to: fixed, label }),
    fc.record({ kind: fc.constant("exchange" as const), label }),
    fc.record({ kind: fc.constant("forEach" as const), parallel: fc.boolean(), body: fc.array(memberStep, { minLength: 1, maxLength: 3 }) })
  ) as FastCheck.Arbitrary<FamilyStep>
  // A repeat's body begins with a message between the fixed roles, so that it sends at every size.
  const repeatOf = (param: string) =>
    fc.tuple(flat, fc.array(flat, { maxLength: 3 })).map(([first, rest]): FamilyStep => ({
      kind: "repeat",
      param,
      body: [{ kind: "msg", from: "A", to: "C", label: first.kind === "msg" ? first.label : "K" }, first, ...rest]
    }))
  /** Trees of family protocols, well formed at every size by construction. */
  const familyTree = (): FastCheck.Arbitrary<FamilyTree> =>
    fc.tuple(
      fc.array(fc.oneof({ weight: 4, arbitrary: flat }, { weight: 1, arbitrary: fc.constant("repeat" as const) }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(2), { minLength: 6, maxLength: 6 }),
      fc.array(repeatOf("r"), { minLength: 6, maxLength: 6 }),
      fc.nat(1_000_000)
    ).map(([picks, rounds, repeats, id]) => {
      let k = 0
      const steps = picks.map((p): FamilyStep => {
        if (p !== "repeat") return p
        const r = repeats[k]
        return { ...r, param: `r${k++}` } as FamilyStep
      })
      const tree: FamilyTree = { name: `Family${id}`, steps, rounds: Object.fromEntries(Array.from({ length: k }, (_, i) => [`r${i}`, rounds[i]])) }
      return Object.assign(tree, { [toStringMethod]: () => printFamily(tree) })
    })
  /** A tree with one misuse of the family (`FamilyMisuse` at run time). */
  const familyMisuse = (): FastCheck.Arbitrary<FamilyMisuse> =>
    fc.tuple(familyTree(), fc.constantFrom(...misuses), fc.nat(100)).map(([tree, kind, at]) => {
      const i = at % (tree.steps.length + 1)
      const extra: Record<typeof misuses[number], [string, (b: Loose) => Loose]> = {
        familyAsRole: ["a message from A to the family F itself", (b) => b.msg("A", "F", "K")],
        roleAsFamily: ["a broadcast from A to the role C as if a family", (b) => b.broadcast("A", "C", "K")],
        nested: ["a forEach over F inside a forEach over F", (b) => b.forEach("F", (k: Loose) => k.forEach("F", (k2: Loose, m: string) => k2.msg(m, "A", "K")))],
        endInside: ["end() inside a forEach body", (b) => b.forEach("F", (k: Loose, m: string) => k.msg(m, "A", "K").end())]
      }
      const [defect, add] = extra[kind]
      const build = () =>
        makeEither(tree.name, { roles: ["A", "C"], families: ["F"], messages: catalogue }, ((g: Loose) =>
          tree.steps.slice(i).reduce(addStep, add(tree.steps.slice(0, i).reduce(addStep, g)))) as never)
      const m: FamilyMisuse = { tree, defect: `${defect}, before step ${i}`, build }
      return Object.assign(m, { [toStringMethod]: () => `${printFamily(tree)} with ${m.defect}` })
    })
  return { familyTree, familyMisuse }
}
