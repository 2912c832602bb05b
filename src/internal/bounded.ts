/**
 * Bounded text about values that came from outside: error messages and trace events quote
 * names, labels and payloads a peer chose, so every quote is cut to a few hundred characters
 * and never walks deeper than a few levels (a payload nested 3 000 deep, a 10 MB string or a
 * cycle must not overflow the stack or fill the log).
 *
 * @internal
 */

/** The longest quote of a string a peer chose. */
export const maxQuote = 200

/** `s`, cut to `max` characters with the length said, when longer. */
export const clip = (s: string, max: number = maxQuote): string =>
  s.length <= max ? s : `${s.slice(0, max)}… (${s.length} characters)`

/** A short description of any value: its kind and a clipped preview, at most three levels deep. */
export const preview = (value: unknown, depth = 3): string => {
  switch (typeof value) {
    case "string":
      return JSON.stringify(clip(value, 60))
    case "number":
    case "boolean":
    case "undefined":
      return String(value)
    case "bigint":
      return `${clip(String(value), 40)}n`
    case "symbol":
      return "a symbol"
    case "function":
      return "a function"
  }
  if (value === null) return "null"
  try {
    if (Array.isArray(value)) {
      if (depth <= 0) return `[${value.length} items]`
      const items = value.slice(0, 4).map((v) => preview(v, depth - 1))
      return `[${items.join(", ")}${value.length > 4 ? `, … ${value.length} items` : ""}]`
    }
    const keys = Object.keys(value as object)
    if (depth <= 0) return keys.length === 0 ? "{}" : `{${keys.length} keys}`
    const shown = keys.slice(0, 4).map((k) => `${clip(k, 30)}: ${preview((value as Record<string, unknown>)[k], depth - 1)}`)
    return clip(`{ ${shown.join(", ")}${keys.length > 4 ? `, … ${keys.length} keys` : ""} }`, 300)
  } catch {
    // A getter that throws, a revoked proxy: say no more than that.
    return "an object that cannot be read"
  }
}

/** A name a peer chose, for a message: the string clipped, anything else described. */
export const quote = (value: unknown): string => (typeof value === "string" ? clip(value) : preview(value, 1))
