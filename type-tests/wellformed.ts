/**
 * Ill-formed protocols do not compile at `Protocol.make`: the error is on the protocol's name
 * and says why in the words of the run-time `ProjectionError` (which also throws, at run
 * time: tests/Protocol.test.ts); rules the builder checks itself are errors at the step.
 */
import { Schema } from "effect"
import { Protocol } from "../src/index.js"

const N = Schema.Number
const spec = { roles: ["A", "B", "C"], messages: { M: N, M1: N, M2: N, K: N, K1: N, K2: N, Z: N } } as const

// Unmergeable: C would learn the branch from B in one branch and from A in the other.
// expect-error: role C cannot tell branch 'x' from 'y' of choice 'c' at A: a role learns the branch from its first message in it, and that message must come from the same role in every branch. Make C's first action in every branch a receive from one role that knows the branch, with a different label per branch.
Protocol.make("Unmergeable", spec, (g) =>
  g.choice("A", "c", {
    x: (b) => b.msg("A", "B", "M1").msg("B", "C", "K"),
    y: (b) => b.msg("A", "B", "M2").msg("A", "C", "Z")
  }))

// A chooser that does not know the branch it is in.
// expect-error: role C cannot tell branch 'x' from 'y' of choice 'c' at A: C must choose without knowing the branch. Send C a message that tells it the branch before it chooses.
Protocol.make("ChooserUnaware", spec, (g) =>
  g.choice("A", "c", {
    x: (b) => b.msg("A", "B", "M1").choice("C", "d", { p: (e) => e.msg("C", "B", "K1"), q: (e) => e.msg("C", "B", "K2") }),
    y: (b) => b.msg("A", "B", "M2").msg("C", "B", "K")
  }))

// Ambiguous: C acts differently in the two branches and nobody tells it which.
// expect-error: role C cannot tell branch 'x' from 'y' of choice 'c' at A: no message tells C which branch was taken. Add a message to C from A at the start of each branch, with a different label per branch.
Protocol.make("Ambiguous", spec, (g) =>
  g.choice("A", "c", {
    x: (b) => b.msg("A", "B", "M1").msg("C", "B", "K1"),
    y: (b) => b.msg("A", "B", "M2").msg("C", "B", "K2")
  }))

// A loop with no way out.
// expect-error: IllFormedProtocol<"role C is stuck in a loop: every path it can take goes round again. Add a branch that leaves the loop">
Protocol.make("NoExit", spec, (g) => g.loop("L", (b) => b.msg("A", "B", "M").recur("L")))

// Well-formed protocols compile as before, whatever their size (see bench/compile-time.ts).
Protocol.make("Fine", spec, (g) =>
  g.choice("A", "c", {
    x: (b) => b.msg("A", "B", "M1").msg("A", "C", "K1"),
    y: (b) => b.msg("A", "B", "M2").msg("A", "C", "K2")
  }))

// A choice with no branches: at the call, in the run-time words.
Protocol.make("EmptyChoice", { roles: ["A", "B"], messages: { M: Schema.Number } }, (g) =>
  g.msg("A", "B", "M")
    // expect-error: choice 'c' has no branches. Give it at least one branch.
    .choice("A", "c", {}))
