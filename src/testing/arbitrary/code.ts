/**
 * Generated protocols printed as code: the `Protocol.make` calls that build a tree, to paste
 * into a test when a property finds a counterexample.
 *
 * @since 0.1.0
 */
import { type ProtocolTree, subProtocols, type TreeStep } from "./tree.js"

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
 * @example
 * ```ts
 * import { Either } from "effect"
 * import fc from "fast-check"
 * import { build, toCode, wellFormedTree } from "quadrille/testing/arbitrary"
 *
 * fc.assert(fc.property(wellFormedTree(), (tree) => {
 *   const built = build(tree)
 *   if (Either.isLeft(built)) throw new Error(`${built.left.message}\n${toCode(tree)}`)
 * }))
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const toCode = (tree: ProtocolTree): string => {
  const subs = subProtocols(tree).map((s) => `const ${s.name} = ${makeCode(s)}\n`)
  const params = Object.keys(tree.params).length === 0
    ? ""
    : `// Session.run(protocol, implementations, { params: ${JSON.stringify(tree.params)} })\n`
  return `${subs.join("")}${params}${makeCode(tree)}`
}
