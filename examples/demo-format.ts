/**
 * How `npm run demo` prints one run: per role, its local type (indented, one step a line),
 * what it did (its own trace events, in the order it did them) and its result (with key
 * material replaced by a short fingerprint).
 *
 * "What it did" comes from the events the role recorded in the `TraceSink`, not from the
 * frames on the wire: the wire holds the frames in the order they were SENT, so a role that
 * receives from two peers would seem to have received them in the senders' order, not in the
 * order it took them (which is the order its local type asks for).
 */
import { createHash } from "node:crypto"
import { Protocol, type TraceSink } from "../src/index.js"
import type { Any } from "../src/protocol/Protocol.js"
import { formatLocalLines } from "../src/viz/LocalText.js"

/** One action of a role, in words; undefined for a network event (not the role's doing). */
export const describeEvent = (e: TraceSink.TraceEvent): string | undefined => {
  switch (e._tag) {
    case "Send":
      return `sent ${e.label} to ${e.peer}`
    case "Receive":
      return `received ${e.label} from ${e.peer}`
    case "Choice":
      return `chose ${e.branch} of ${e.label}`
    case "Round":
      return `repeat ${e.label}: ${e.branch}`
    case "Failed":
      return `failed (${e.reason}), told ${e.peer}`
    case "PeerFailed":
      return `learned that ${e.peer} failed`
    default:
      return undefined
  }
}

/** What `role` did, in the order it did it: its own events of the trace, oldest first. */
export const roleActions = (events: ReadonlyArray<TraceSink.TraceEvent>, role: string): ReadonlyArray<string> =>
  [...events]
    .filter((e) => e.role === role)
    .sort((a, b) => a.time - b.time)
    .flatMap((e) => {
      const d = describeEvent(e)
      return d === undefined ? [] : [d]
    })

/** A short fingerprint of a secret: the first 8 hex digits of its SHA-256. */
export const fingerprint = (secret: string): string =>
  `<key ${createHash("sha256").update(secret).digest("hex").slice(0, 8)}>`

/**
 * `value` with every string field named in `secrets` (at any depth) replaced by its
 * fingerprint; an empty string stays empty (there is nothing to hide).
 */
export const redact = (value: unknown, secrets: ReadonlyArray<string>): unknown => {
  if (secrets.length === 0 || value === null || typeof value !== "object") return value
  if (Array.isArray(value)) return value.map((v) => redact(v, secrets))
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      secrets.includes(k) && typeof v === "string" && v !== "" ? fingerprint(v) : redact(v, secrets)
    ])
  )
}

/** Joins `items` with ", " into lines of at most `width` characters (an item longer than that is a line). */
export const wrap = (items: ReadonlyArray<string>, width: number): ReadonlyArray<string> => {
  const lines: Array<string> = []
  let line = ""
  items.forEach((item, i) => {
    const piece = i < items.length - 1 ? `${item},` : item
    if (line === "") line = piece
    else if (line.length + 1 + piece.length <= width) line = `${line} ${piece}`
    else {
      lines.push(line)
      line = piece
    }
  })
  if (line !== "") lines.push(line)
  return lines
}

export interface DescribeOptions {
  /** Names of result fields that hold key material (see `ExampleRun.secrets`). */
  readonly secrets?: ReadonlyArray<string> | undefined
  /** The width the "did" lines wrap at (after their 16 characters of indentation). Default 84. */
  readonly width?: number | undefined
}

/**
 * The demo's lines for one run of `protocol`: for every role its local type, what it did and
 * its result. `results` are the session's results by role, `events` its trace.
 */
export const describeRun = (
  protocol: Any,
  results: Readonly<Record<string, unknown>>,
  events: ReadonlyArray<TraceSink.TraceEvent>,
  options: DescribeOptions = {}
): ReadonlyArray<string> => {
  const secrets = options.secrets ?? []
  const width = options.width ?? 84
  const field = (name: string, lines: ReadonlyArray<string>) =>
    lines.map((l, i) => `    ${i === 0 ? `${name}:`.padEnd(12) : " ".repeat(12)}${l}`)
  return protocol.roles.flatMap((role) => {
    const did = roleActions(events, role)
    return [
      `  ${role}`,
      ...field("local type", formatLocalLines(Protocol.project(protocol, role))),
      ...field("did", did.length === 0 ? ["nothing"] : wrap(did, width)),
      ...field("result", [JSON.stringify(redact(results[role], secrets))])
    ]
  })
}
