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

// A loop with no way out, nested or not.
// expect-error: IllFormedProtocol<"loop 'L' has no way out: every path recurs. Add a branch that does not recur('L'), or declare it with forever('L') if it never ends.">
Protocol.make("NoExit", spec, (g) => g.loop("L", (b) => b.msg("A", "B", "M").recur("L")))
// expect-error: IllFormedProtocol<"loop 'Inner' has no way out: every path recurs. Add a branch that does not recur('Inner'), or declare it with forever('Inner') if it never ends.">
Protocol.make("NoExitInside", spec, (g) =>
  g.loop("Outer", (b) =>
    b.choice("A", "c", {
      stay: (b) => b.msg("A", "B", "M1").msg("A", "C", "K1").loop("Inner", (i) => i.msg("B", "C", "M").recur("Inner")),
      leave: (b) => b.msg("A", "B", "M2").msg("A", "C", "K2")
    })))

// end() inside a parallel branch, a timeout or a saga (at any depth in it).
// expect-error: IllFormedProtocol<"end() is inside a branch of the parallel; a branch cannot end the whole protocol. End the branch by letting it finish, and end() after the parallel.">
Protocol.make("EndInParallel", spec, (g) => g.parallel((b) => b.msg("A", "B", "M").end(), (b) => b.msg("A", "C", "K")))
// expect-error: IllFormedProtocol<"end() is inside a branch of the parallel; a branch cannot end the whole protocol.
Protocol.make("EndDeepInParallel", spec, (g) =>
  g.parallel((b) =>
    b.choice("A", "c", {
      x: (b) => b.msg("A", "B", "M1").loop("L", (l) => l.msg("A", "B", "M").choice("A", "d", { more: (m) => m.msg("A", "B", "K1").recur("L"), stop: (s) => s.msg("A", "B", "K2").end() })),
      y: (b) => b.msg("A", "B", "M2")
    })))
// expect-error: IllFormedProtocol<"end() is inside the timeout; its body and its fallback cannot end the whole protocol. Let them finish, and end() after the timeout.">
Protocol.make("EndInTimeout", spec, (g) => g.timeout("A", "t", "1 second", (b) => b.msg("A", "B", "M").end(), (f) => f.msg("A", "B", "K")))
// expect-error: IllFormedProtocol<"end() is inside the saga; its forward part and its compensation cannot end the whole protocol. Let them finish, and end() after the saga.">
Protocol.make("EndInSaga", spec, (g) => g.saga("A", "s", (f) => f.msg("A", "B", "M"), (c) => c.msg("A", "B", "K").end()))
// After the parallel, end() is fine.
Protocol.make("EndAfterParallel", spec, (g) => g.parallel((b) => b.msg("A", "B", "M"), (b) => b.msg("A", "C", "K")).msg("B", "C", "Z").end())

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

// A loop with no way out in which every role takes part (their projections alone cannot tell).
// expect-error: IllFormedProtocol<"loop 'L' has no way out: every path recurs. Add a branch that does not recur('L'), or declare it with forever('L') if it never ends.">
Protocol.make("NoExitTwo", { roles: ["A", "B"], messages: { M: N, K: N } }, (g) =>
  g.loop("L", (b) => b.choice("A", "c", { m: (x) => x.msg("A", "B", "M").recur("L"), k: (x) => x.msg("A", "B", "K").recur("L") })))
// A way out by end(), or by a recur of an outer loop, or by leaving an inner loop: fine.
Protocol.make("ExitByEnd", { roles: ["A", "B"], messages: { M: N, K: N } }, (g) =>
  g.loop("L", (b) => b.choice("A", "c", { m: (x) => x.msg("A", "B", "M").recur("L"), k: (x) => x.msg("A", "B", "K").end() })))
Protocol.make("ExitByOuter", { roles: ["A", "B"], messages: { M: N, K: N, Z: N } }, (g) =>
  g.loop("O", (o) =>
    o.msg("A", "B", "Z").choice("A", "d", {
      go: (d) => d.msg("A", "B", "M").loop("L", (b) => b.choice("A", "c", { m: (x) => x.msg("A", "B", "M").recur("L"), k: (x) => x.msg("A", "B", "K").recur("O") })),
      stop: (d) => d.msg("A", "B", "K")
    })))
// The outer loop of these two has no way out: its only path leaves the inner loop by recurring to the outer one.
// expect-error: IllFormedProtocol<"loop 'O' has no way out: every path recurs. Add a branch that does not recur('O'), or declare it with forever('O') if it never ends.">
Protocol.make("OuterClosed", { roles: ["A", "B"], messages: { M: N, K: N } }, (g) =>
  g.loop("O", (o) => o.msg("A", "B", "K").loop("L", (b) => b.choice("A", "c", { a: (x) => x.msg("A", "B", "M").recur("L"), b: (x) => x.msg("A", "B", "K").recur("O") }))))

// A loop that can go round without a message: directly, through a choice, or after an inner loop.
// expect-error: IllFormedProtocol<"loop 'L' can go round again without any message being sent (unguarded). Add a message before recur('L').">
Protocol.make("Unguarded", { roles: ["A", "B"], messages: { M: N, K: N } }, (g) =>
  g.loop("L", (b) => b.choice("A", "c", { again: (x) => x.recur("L"), stop: (x) => x.msg("A", "B", "K") })))
// expect-error: IllFormedProtocol<"loop 'O' can go round again without any message being sent (unguarded).
Protocol.make("UnguardedOuter", { roles: ["A", "B"], messages: { M: N, K: N } }, (g) =>
  g.loop("O", (o) =>
    o.loop("I", (i) => i.choice("A", "c", { more: (x) => x.msg("A", "B", "M").recur("I"), out: (x) => x }))
      .choice("A", "d", { again: (x) => x.recur("O"), stop: (x) => x.msg("A", "B", "K") })))
// A message first on every path that goes round: guarded.
Protocol.make("Guarded", { roles: ["A", "B"], messages: { M: N, K: N } }, (g) =>
  g.loop("L", (b) => b.choice("A", "c", { again: (x) => x.msg("A", "B", "M").recur("L"), stop: (x) => x.msg("A", "B", "K") })))
