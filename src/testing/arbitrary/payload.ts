/**
 * Payloads of a protocol of your own, drawn from its catalogue's Schemas (the arbitrary is
 * `payload`, in `quadrille/testing/arbitrary` and `quadrille/testing/arbitrary/effect`).
 *
 * @since 0.1.0
 */
import type { Schema } from "effect"
import type { Any } from "../../protocol/Protocol.js"

/**
 * The type of the payloads of `label` in `protocol`'s catalogue.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Protocol } from "quadrille"
 * import type { PayloadType } from "quadrille/testing/arbitrary"
 *
 * const Order = Protocol.make("Order", { roles: ["Shop", "Store"], messages: { Line: Schema.Struct({ sku: Schema.String }) } }, (g) =>
 *   g.msg("Shop", "Store", "Line"))
 * const line: PayloadType<typeof Order, "Line"> = { sku: "A-1" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type PayloadType<P extends Any, L extends keyof P["messages"]> = Schema.Schema.Type<P["messages"][L]>
