/**
 * A built tree as a `Generated`: shared by `generated` and the arbitraries of mergeable
 * protocols, which build the tree themselves.
 *
 * @since 0.1.0
 */
import { toStringMethod } from "../../../internal/fast-check.js"
import { choicesOf } from "../choices.js"
import { toCode } from "../code.js"
import type { Generated, GeneratedProtocol, ProtocolTree } from "../tree.js"

/** @since 0.1.0 */
export const fromBuilt = (tree: ProtocolTree, protocol: GeneratedProtocol): Generated => ({
  tree,
  protocol,
  choices: choicesOf(tree),
  [toStringMethod]: () => toCode(tree)
})
