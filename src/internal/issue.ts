/**
 * A bounded account of a Schema's `ParseIssue`: the first few problems, each with its path,
 * what was expected and a clipped preview of what came. The issue tree is walked without
 * recursion and the value is never printed whole, so an issue about a payload nested
 * thousands deep, or holding a huge string, is formatted in bounded time and space (Effect's
 * `TreeFormatter` prints the actual value whole and recursively).
 *
 * @internal
 */
import type { ParseResult } from "effect"
import { clip, preview } from "./bounded.js"

/** How many problems an account names at most. */
const maxProblems = 3

type Path = ReadonlyArray<PropertyKey>

const pathText = (path: Path): string =>
  path.length === 0 ? "" : `at ${clip(path.slice(0, 8).map((k) => `[${typeof k === "symbol" ? "symbol" : JSON.stringify(String(k))}]`).join(""), 120)}${path.length > 8 ? "…" : ""}: `

/** The first problems of `issue`, in words, at most a few hundred characters. */
export const formatIssue = (issue: ParseResult.ParseIssue): string => {
  const problems: Array<string> = []
  let more = 0
  const stack: Array<{ readonly issue: ParseResult.ParseIssue; readonly path: Path }> = [{ issue, path: [] }]
  // Bounded as well: an issue tree is as large as the value it is about.
  for (let steps = 0; stack.length > 0 && steps < 1000; steps++) {
    const { issue: i, path } = stack.pop()!
    switch (i._tag) {
      case "Pointer": {
        const p = Array.isArray(i.path) ? i.path : [i.path]
        stack.push({ issue: i.issue, path: path.length > 64 ? path : [...path, ...(p as Path)] })
        break
      }
      case "Refinement":
      case "Transformation":
        stack.push({ issue: i.issue, path })
        break
      case "Composite": {
        const inner = Array.isArray(i.issues) ? i.issues : [i.issues]
        for (let k = Math.min(inner.length, maxProblems + 1) - 1; k >= 0; k--) stack.push({ issue: inner[k] as ParseResult.ParseIssue, path })
        if (inner.length > maxProblems + 1) more += inner.length - maxProblems - 1
        break
      }
      default: {
        if (problems.length >= maxProblems) {
          more++
          break
        }
        const text = i._tag === "Missing"
          ? "is missing"
          : i._tag === "Unexpected"
          ? "is unexpected"
          : i._tag === "Forbidden"
          ? "is forbidden here"
          : `expected ${clip(String(i.ast), 120)}, got ${preview(i.actual, 1)}`
        problems.push(`${pathText(path)}${i.message === undefined ? text : clip(i.message, 120)}`)
      }
    }
  }
  if (problems.length === 0) return "the value does not match its schema"
  return `${problems.join("; ")}${more > 0 ? ` (and ${more} more)` : ""}`
}
