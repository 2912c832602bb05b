/**
 * Mermaid diagrams of protocols: a `sequenceDiagram` of a global protocol and a
 * `stateDiagram-v2` of a role's local type. The output is deterministic (same protocol,
 * same text), so that diagrams can be committed and compared. `Trace.toMermaid`
 * (`quadrille/testing`) draws recorded traces with the same helpers.
 *
 * @since 0.1.0
 */
import type { Any, Step } from "../protocol/Protocol.js"
import type { LocalType } from "../runtime/local.js"

/**
 * Makes a piece of user text (a label, a name) safe inside a Mermaid statement: the
 * characters Mermaid reads as statement separators, comments or entity codes (`;`, `#`),
 * as the start of a message text (`:`), or that break a line are replaced by Mermaid
 * entity codes (`#59;`, `#35;`, `#58;`), which Mermaid renders as the character itself.
 *
 * @category utils
 */
export const mermaidText = (text: string): string =>
  text
    .replace(/#/g, "#35;")
    // `#35;` itself holds a `;`: only the `;`s that are not the end of an entity code just made.
    .replace(/(?<!#\d+);/g, "#59;")
    .replace(/:/g, "#58;")
    .replace(/[\r\n]+/g, " ")

/**
 * Words Mermaid's sequence diagram lexer reads as keywords. Its lexer is case-insensitive and
 * takes the first rule that matches, so an id that merely starts with one (`Participant`,
 * `Options`) can be read as the keyword: such a role gets an alias id.
 */
const keywords = [
  "participant", "actor", "create", "destroy", "box", "loop", "rect", "opt", "alt", "else", "par", "and",
  "critical", "option", "break", "end", "links", "link", "properties", "details", "activate", "deactivate",
  "title", "acctitle", "accdescr", "autonumber", "off", "left", "right", "over", "note", "as", "sequencediagram"
]

const plainId = (s: string) =>
  /^[A-Za-z][A-Za-z0-9_]*$/.test(s) && !keywords.some((k) => s.toLowerCase().startsWith(k))

/**
 * The front matter that gives a diagram its title.
 *
 * @category utils
 */
export const frontMatter = (title: string): Array<string> => [
  "---",
  `title: ${JSON.stringify(title)}`,
  "---"
]

/**
 * The participants of a sequence diagram, one line per role in the order given, and the id
 * that stands for a role in statements: the role itself, or an alias (`r0`, `r1`, ...) for a
 * role named like a Mermaid keyword or with characters an id cannot hold.
 *
 * @category utils
 */
export const participants = (
  roles: ReadonlyArray<string>
): { readonly lines: ReadonlyArray<string>; readonly id: (role: string) => string } => {
  const ids = new Map<string, string>()
  const taken = new Set(roles.filter(plainId))
  const id = (role: string) => {
    const known = ids.get(role)
    if (known !== undefined) return known
    let fresh = role
    if (!plainId(role)) {
      fresh = `r${ids.size}`
      while (taken.has(fresh)) fresh += "_"
      taken.add(fresh)
    }
    ids.set(role, fresh)
    return fresh
  }
  const lines = roles.map((r) => {
    const i = id(r)
    return i === r ? `  participant ${r}` : `  participant ${i} as ${mermaidText(r)}`
  })
  return { lines, id }
}

/**
 * Where a `Note over` goes to cover some roles: Mermaid takes one participant or the two ends
 * of a span, so this is the first and the last of `involved` in the order of `roles` (every
 * role when none of `involved` is one of them), as ids joined by a comma.
 *
 * @category utils
 */
export const noteSpan = (roles: ReadonlyArray<string>, id: (role: string) => string, involved: ReadonlyArray<string>): string => {
  const idx = [...new Set(involved)].map((r) => roles.indexOf(r)).filter((i) => i >= 0).sort((a, b) => a - b)
  const span = idx.length === 0 ? roles : [roles[idx[0]], roles[idx[idx.length - 1]]]
  const ends = span.length === 0 ? [] : span.length === 1 || span[0] === span[span.length - 1] ? [span[0]] : [span[0], span[span.length - 1]]
  return ends.map(id).join(",")
}

/**
 * A Mermaid `sequenceDiagram` of a global protocol: a participant per role, in declaration
 * order; an arrow per message; `alt`/`else` for a choice (`alt outcome at Coordinator: commit`),
 * `loop` for a loop and for a `repeat` (`loop repeat maxRounds`), `par`/`and` for parallel
 * branches, a `rect` with a note for a composed sub-protocol (`compose Authentication`), and
 * notes for `recur` and `end()`.
 *
 * @example
 * ```ts
 * protocolToMermaid(TwoPhaseCommit)
 * // sequenceDiagram
 * //   participant Coordinator
 * //   participant Participant
 * //   Coordinator->>Participant: PrepareRequest
 * //   ...
 * //   alt outcome at Coordinator: commit
 * ```
 *
 * @category diagrams
 */
export const protocolToMermaid = (p: Any): string => {
  const roles = [...p.roles]
  const { id, lines: declared } = participants(roles)
  const lines: Array<string> = [...frontMatter(p.name), "sequenceDiagram", ...declared]
  const note = (indent: string, involved: ReadonlyArray<string>, text: string) => {
    if (roles.length > 0) lines.push(`${indent}Note over ${noteSpan(roles, id, involved)}: ${text}`)
  }
  const steps = (ss: ReadonlyArray<Step>, depth: number): void => {
    for (const s of ss) step(s, depth)
  }
  const step = (s: Step, depth: number): void => {
    const indent = "  ".repeat(depth)
    switch (s._tag) {
      case "Msg":
        lines.push(`${indent}${id(s.from)}->>${id(s.to)}: ${mermaidText(s.label)}`)
        return
      case "Choice":
        s.branches.forEach((b, i) => {
          lines.push(
            i === 0
              ? `${indent}alt ${mermaidText(s.name)} at ${mermaidText(s.at)}: ${mermaidText(b.label)}`
              : `${indent}else ${mermaidText(b.label)}`
          )
          steps(b.steps, depth + 1)
        })
        lines.push(`${indent}end`)
        return
      case "Loop":
        lines.push(`${indent}loop ${s.forever === true ? "forever " : ""}${mermaidText(s.name)}`)
        steps(s.body, depth + 1)
        lines.push(`${indent}end`)
        return
      case "Repeat":
        lines.push(`${indent}loop repeat ${mermaidText(s.param)}`)
        steps(s.body, depth + 1)
        lines.push(`${indent}end`)
        return
      case "Parallel":
        s.branches.forEach((b, i) => {
          lines.push(`${indent}${i === 0 ? "par" : "and"} branch ${i + 1}`)
          steps(b, depth + 1)
        })
        lines.push(`${indent}end`)
        return
      case "Timeout":
        lines.push(`${indent}critical timeout ${mermaidText(s.name)} at ${mermaidText(s.at)} (${s.duration} ms)`)
        steps(s.body, depth + 1)
        lines.push(`${indent}option timed out`)
        if (s.fallback.length === 0) note(indent + "  ", [s.at], `${mermaidText(s.at)} on timeout`)
        steps(s.fallback, depth + 1)
        lines.push(`${indent}end`)
        return
      case "Saga":
        lines.push(`${indent}critical saga ${mermaidText(s.name)} by ${mermaidText(s.owner)}`)
        steps(s.forward, depth + 1)
        lines.push(`${indent}option compensate`)
        if (s.compensate.length === 0) note(indent + "  ", [s.owner], "nothing to compensate")
        steps(s.compensate, depth + 1)
        lines.push(`${indent}end`)
        return
      case "Compose":
        lines.push(`${indent}rect rgba(128, 128, 128, 0.1)`)
        note(indent + "  ", Object.values(s.mapping), `compose ${mermaidText(s.protocol)}`)
        steps(s.steps, depth + 1)
        lines.push(`${indent}end`)
        return
      case "Recur":
        note(indent, roles, `recur ${mermaidText(s.name)}`)
        return
      case "End":
        note(indent, roles, "end")
        return
    }
  }
  steps(p.steps, 1)
  return lines.join("\n") + "\n"
}

/**
 * A Mermaid `stateDiagram-v2` of a role's local type. States are named `s0`, `s1`, ... in
 * the order they are reached (depth first), so the output is stable. Transitions are the
 * role's actions: `!Label to Peer`, `?Label from Peer`, `select branch`, `round again` /
 * `round done`. A `Var` is a back edge to the state where its `Rec` opened; a `Par` is a
 * fork (`forkN`) and a join (`joinN`) with the branches between them; `End` is `[*]`.
 *
 * @category diagrams
 */
export const localToMermaid = (t: LocalType, role: string): string => {
  const lines: Array<string> = [...frontMatter(`${role} (local type)`), "stateDiagram-v2"]
  let states = 0
  let pars = 0
  interface Env {
    /** Where each open `Rec` started. */
    readonly recs: ReadonlyMap<string, string>
    /** Where `End` goes: `[*]`, or the join of the enclosing parallel branch. */
    readonly end: string
  }
  const edge = (from: string, to: string, label?: string) =>
    lines.push(label === undefined ? `  ${from} --> ${to}` : `  ${from} --> ${to} : ${label}`)
  const fresh = () => `s${states++}`
  /** The state before `t`: an existing one for `End` and `Var`, else a new one, to expand after the edge into it is drawn. */
  const enter = (t: LocalType, env: Env): readonly [string, () => void] => {
    switch (t._tag) {
      case "End":
        return [env.end, () => {}]
      case "Var":
        return [env.recs.get(t.name) ?? env.end, () => {}]
      default: {
        const s = fresh()
        return [s, () => out(s, t, env)]
      }
    }
  }
  const step = (from: string, next: LocalType, env: Env, label: string) => {
    const [to, expand] = enter(next, env)
    edge(from, to, label)
    expand()
  }
  /** Draws the transitions out of state `s`, which stands before `t`. */
  const out = (s: string, t: LocalType, env: Env): void => {
    switch (t._tag) {
      case "End":
        edge(s, env.end)
        return
      case "Var":
        edge(s, env.recs.get(t.name) ?? env.end)
        return
      case "Rec": {
        const recs = new Map(env.recs)
        recs.set(t.name, s)
        out(s, t.body, { ...env, recs })
        return
      }
      case "Send":
        step(s, t.next, env, `!${mermaidText(t.label)} to ${mermaidText(t.to)}`)
        return
      case "Recv":
        step(s, t.next, env, `?${mermaidText(t.label)} from ${mermaidText(t.from)}`)
        return
      case "Select":
        for (const [b, k] of Object.entries(t.branches)) step(s, k, env, `select ${mermaidText(b)}`)
        return
      case "Offer":
        for (const [l, k] of Object.entries(t.branches)) step(s, k, env, `?${mermaidText(l)} from ${mermaidText(t.from)}`)
        return
      case "Rounds":
        step(s, t.again, env, "round again")
        step(s, t.done, env, "round done")
        return
      case "Timeout":
      case "Saga": {
        // The two parts are local types of their own, both ending where the role goes on.
        const after = fresh()
        const inner: Env = { recs: new Map(), end: after }
        const part = (p: LocalType, label: string) => {
          if (p._tag === "End") return edge(s, after, label)
          const start = fresh()
          edge(s, start, label)
          out(start, p, inner)
        }
        if (t._tag === "Timeout") {
          part(t.body, `timeout ${mermaidText(t.name)} in time`)
          part(t.fallback, `timeout ${mermaidText(t.name)} timed out`)
        } else {
          part(t.forward, `saga ${mermaidText(t.name)} forward`)
          part(t.compensate, `saga ${mermaidText(t.name)} compensate`)
        }
        const [to, expand] = enter(t.next, env)
        edge(after, to)
        expand()
        return
      }
      case "Par": {
        const n = ++pars
        const fork = `fork${n}`
        const join = `join${n}`
        lines.push(`  state ${fork} <<fork>>`, `  state ${join} <<join>>`)
        edge(s, fork)
        // Each branch is a local type of its own: its loops are its own, its End is the join.
        const inner: Env = { recs: new Map(), end: join }
        for (const b of t.branches) {
          if (b._tag === "End") {
            edge(fork, join)
            continue
          }
          const start = fresh()
          edge(fork, start)
          out(start, b, inner)
        }
        const [to, expand] = enter(t.next, env)
        edge(join, to)
        expand()
        return
      }
    }
  }
  const start = fresh()
  edge("[*]", start)
  out(start, t, { recs: new Map(), end: "[*]" })
  return lines.join("\n") + "\n"
}

/**
 * A Markdown page that shows `diagram` (the text of a `.mmd` file): a heading, then the
 * diagram in a fenced ```` ```mermaid ```` block, which GitHub (and most Markdown viewers)
 * render as the picture. The fence is longer than any run of backticks in the diagram, so a
 * label that holds some cannot close it.
 *
 * @example
 * ```ts
 * writeFileSync("TwoPhaseCommit.sequence.md", mermaidMarkdown(Protocol.toMermaid(TwoPhaseCommit), "TwoPhaseCommit"))
 * ```
 *
 * @category diagrams
 */
export const mermaidMarkdown = (diagram: string, title: string): string => {
  const longest = Math.max(0, ...(diagram.match(/`+/g) ?? []).map((run) => run.length))
  const fence = "`".repeat(Math.max(3, longest + 1))
  const body = diagram.endsWith("\n") ? diagram : `${diagram}\n`
  return `# ${title.replace(/[\r\n]+/g, " ")}\n\n${fence}mermaid\n${body}${fence}\n`
}

/**
 * The name of the Markdown page beside a `.mmd` file: `X.mmd` → `X.md`.
 *
 * @category diagrams
 */
export const markdownFileName = (mmdFile: string): string => mmdFile.replace(/\.mmd$/, "") + ".md"
