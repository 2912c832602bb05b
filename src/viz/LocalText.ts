/**
 * Local types as indented text, one step a line: the multi-line form of
 * `Protocol.formatLocal` (which prints a local type on one line), for people to read.
 *
 * The steps are written as `Protocol.formatLocal` writes them (`Send(to, label)`,
 * `Recv(from, label)`, `Select`, `Offer(from)`, `Rounds(param)`, `Par`, `Timeout(name at role)`,
 * `Saga(name by role)`, `Rec name`, a loop's name to go round it again, `End`); what follows a
 * step is on the next line at the same depth, what is inside it (branches, a loop's body) one
 * level deeper. The branches of a step stay on the lines of their names, in the one-line form,
 * when every one of them is a straight line of sends and receives short enough (`End` and a
 * loop's name always do).
 *
 * @since 0.1.0
 */
import { format, type LocalType } from "../runtime/local.js"

/**
 * Options of `formatLocalLines`.
 *
 * @category models
 */
export interface FormatLocalOptions {
  /** One level of indentation. Default: two spaces. */
  readonly indent?: string | undefined
  /** The longest branch kept on the line of its name (its one-line form). Default: 60. */
  readonly inlineWidth?: number | undefined
}

/** A straight line of sends and receives ending in `End` or a loop's name. */
const straight = (t: LocalType): boolean =>
  t._tag === "End" || t._tag === "Var" || ((t._tag === "Send" || t._tag === "Recv") && straight(t.next))

/**
 * The lines of `t`, unindented at its top level.
 *
 * @category formatting
 */
export const formatLocalLines = (t: LocalType, options: FormatLocalOptions = {}): ReadonlyArray<string> => {
  const unit = options.indent ?? "  "
  const width = options.inlineWidth ?? 60
  const out: Array<string> = []
  const fits = (k: LocalType) => k._tag === "End" || k._tag === "Var" || (straight(k) && format(k).length <= width)
  /** The branches of one step: on the line of their names when they all fit, else below (but `End` and a loop's name). */
  const branches = (entries: ReadonlyArray<readonly [string, LocalType]>, depth: number) => {
    const pad = unit.repeat(depth)
    const inline = entries.every(([, k]) => fits(k))
    for (const [name, k] of entries) {
      if (k._tag === "End" || k._tag === "Var" || inline) {
        out.push(`${pad}${name}: ${format(k)}`)
      } else {
        out.push(`${pad}${name}:`)
        go(k, depth + 1)
      }
    }
  }
  const go = (t: LocalType, depth: number): void => {
    const pad = unit.repeat(depth)
    switch (t._tag) {
      case "Send":
        out.push(`${pad}Send(${t.to}, ${t.label})`)
        return go(t.next, depth)
      case "Recv":
        out.push(`${pad}Recv(${t.from}, ${t.label})`)
        return go(t.next, depth)
      case "Select":
        out.push(`${pad}Select`)
        branches(Object.entries(t.branches), depth + 1)
        return
      case "Offer":
        out.push(`${pad}Offer(${t.from})`)
        branches(Object.entries(t.branches), depth + 1)
        return
      case "Rounds":
        out.push(`${pad}Rounds(${t.param})`)
        branches([["again", t.again], ["done", t.done]], depth + 1)
        return
      case "Par":
        out.push(`${pad}Par`)
        branches(t.branches.map((k, i) => [`branch ${i + 1}`, k] as const), depth + 1)
        return go(t.next, depth)
      case "Timeout":
        out.push(`${pad}Timeout(${t.name} at ${t.at})`)
        branches([["body", t.body], ["fallback", t.fallback]], depth + 1)
        return go(t.next, depth)
      case "Saga":
        out.push(`${pad}Saga(${t.name} by ${t.owner})`)
        branches([["forward", t.forward], ["compensate", t.compensate]], depth + 1)
        return go(t.next, depth)
      case "Rec":
        out.push(`${pad}Rec ${t.name}`)
        return go(t.body, depth + 1)
      case "Var":
        out.push(`${pad}${t.name}`)
        return
      case "End":
        out.push(`${pad}End`)
        return
    }
  }
  go(t, 0)
  return out
}

/**
 * `t` as indented text, one step a line (no final newline).
 *
 * @example
 * ```ts
 * formatLocalText(Protocol.project(TwoPhaseCommit, "Participant"))
 * // Recv(Coordinator, PrepareRequest)
 * // Send(Coordinator, PrepareResponse)
 * // Offer(Coordinator)
 * //   CommitRequest: Send(Coordinator, CommitAck).End
 * //   AbortRequest: Send(Coordinator, AbortAck).End
 * ```
 *
 * @category formatting
 */
export const formatLocalText = (t: LocalType, options: FormatLocalOptions = {}): string =>
  formatLocalLines(t, options).join("\n")
