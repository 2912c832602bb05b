/**
 * `Local`, type and value under one name: `Local<typeof P, "A">` is the local session type of
 * role `A` computed by the compiler (from `./Local.ts`), and `Local.project`, `Local.format`
 * and `Local.toMermaid` are the same local type as data, as text and as a diagram at run time.
 *
 * @since 0.1.0
 */
import * as Protocol from "../protocol/index.js"
import type { Local as Projected } from "./Local.js"

/**
 * The local session type of role `R` of protocol `P`.
 *
 * @example
 * ```ts
 * type P = Local<typeof TwoPhaseCommit, "Participant">
 * // Recv<"Coordinator", "PrepareRequest", { readonly transactionId: number }, Send<"Coordinator", ...>>
 * ```
 *
 * @category projection
 */
export type Local<P, R extends string> = Projected<P, R>

/**
 * The local type of a role at run time.
 *
 * @example
 * ```ts
 * Local.format(Local.project(TwoPhaseCommit, "Participant"))
 * // Recv(Coordinator, PrepareRequest).Send(Coordinator, PrepareResponse).Offer(Coordinator){ ... }
 * Local.toMermaid(TwoPhaseCommit, "Participant") // a stateDiagram-v2
 * ```
 *
 * @category projection
 */
export const Local = {
  /** The local type of `role` as data (`Protocol.project`). */
  project: Protocol.project,
  /** A local type as one line of text (`Protocol.formatLocal`). */
  format: Protocol.formatLocal,
  /**
   * The local type of `role` as a Mermaid `stateDiagram-v2`: a transition per send, receive,
   * select and round decision (`Protocol.localToMermaid` is the same function).
   */
  toMermaid: Protocol.localToMermaid
} as const
