/**
 * Ill-formed protocols at compile time: the builder rejects undeclared roles, self-messages,
 * unknown labels and misplaced `recur` at the call; a choice some role cannot follow makes
 * that role's local type a `ProjectionFailure` carrying the run-time error's sentence, and
 * any use of the endpoint there fails with it.
 */
import { Effect, Schema } from "effect"
import { expectTypeOf } from "vitest"
import { type Local, type ProjectionFailure, Protocol, Role } from "../src/index.js"

const N = Schema.Number
const messages = { M: N, M1: N, M2: N, K: N, K1: N, K2: N, Z: N }
const spec = { roles: ["A", "B", "C"], messages } as const

// undeclared role
// expect-error: Argument of type '"Nobody"' is not assignable to parameter of type
Protocol.make("Bad", spec, (g) => g.msg("A", "Nobody", "M"))

// self-message
// expect-error: role A sends M to itself. A message needs two different roles.
Protocol.make("Bad", spec, (g) => g.msg("A", "A", "M"))

// unknown label
// expect-error: Argument of type '"Nope"' is not assignable to parameter of type
Protocol.make("Bad", spec, (g) => g.msg("A", "B", "Nope"))

// recur outside its loop
// expect-error: recur('L') is not inside loop 'L'. Use recur only inside the loop it names.
Protocol.make("Bad", spec, (g) => g.msg("A", "B", "M").recur("L"))

// a loop nested in a loop of the same name
Protocol.make("Bad", spec, (g) =>
  g.loop("L", (b) =>
    // expect-error: 'L' is already the name of an enclosing loop or repeat
    b.msg("A", "B", "M").loop("L", (c) => c.msg("A", "B", "K")).choice("A", "c", { again: (d) => d.recur("L"), stop: (d) => d })))

// a repeat is no barrier to names: a loop or repeat inside it may not reuse an enclosing name
Protocol.make("Bad", spec, (g) =>
  g.loop("L", (b) =>
    b.msg("A", "B", "M").repeat("n", (c) =>
      // expect-error: 'L' is already the name of an enclosing loop or repeat
      c.loop("L", (d) => d.msg("A", "B", "K").choice("A", "c", { go: (e) => e.recur("L"), stop: (e) => e })))
      .choice("A", "c2", { again: (d) => d.recur("L"), stop: (d) => d })))
Protocol.make("Bad", spec, (g) =>
  g.repeat("n", (b) =>
    // expect-error: 'n' is already the name of an enclosing loop or repeat
    b.msg("A", "B", "M").repeat("n", (c) => c.msg("B", "A", "K"))))
// ... and a round still cannot go round an enclosing loop
Protocol.make("Bad", spec, (g) =>
  g.loop("L", (b) =>
    // expect-error: recur('L') is not inside loop 'L'
    b.msg("A", "B", "M").repeat("n", (c) => c.msg("A", "B", "K").recur("L"))))
// distinct names nest fine, and the same name may be used again in sequence
Protocol.make("Good", spec, (g) =>
  g.repeat("n", (b) => b.msg("A", "B", "M").repeat("m", (c) => c.msg("B", "A", "K"))).repeat("m", (b) => b.msg("A", "B", "K")))

// unmergeable choice: C would learn the branch from B in one branch and from A in the other.
const Unmergeable = Protocol.makeEither("Bad", spec, (g) =>
  g.choice("A", "c", {
    x: (b) => b.msg("A", "B", "M1").msg("B", "C", "K"),
    y: (b) => b.msg("A", "B", "M2").msg("A", "C", "Z")
  }))
type UnmergeableC = Local<Extract<typeof Unmergeable, { _tag: "Right" }>["right"], "C">
expectTypeOf<UnmergeableC>().toMatchTypeOf<ProjectionFailure<string>>()
expectTypeOf<UnmergeableC["~error"]>().toMatchTypeOf<
  | "role C cannot tell branch 'x' from 'y' of choice 'c' at A: a role learns the branch from its first message in it, and that message must come from the same role in every branch. Make C's first action in every branch a receive from one role that knows the branch, with a different label per branch."
  | "role C cannot tell branch 'y' from 'x' of choice 'c' at A: a role learns the branch from its first message in it, and that message must come from the same role in every branch. Make C's first action in every branch a receive from one role that knows the branch, with a different label per branch."
>()

// A role that cannot learn the branch: C acts differently and nobody tells it.
const Ambiguous = Protocol.make("Ambiguous", spec, (g) =>
  g.choice("A", "c", {
    x: (b) => b.msg("A", "B", "M1").msg("C", "B", "K1"),
    y: (b) => b.msg("A", "B", "M2").msg("C", "B", "K2")
  }))
Role.program(Ambiguous, "C", (ch) =>
  Effect.gen(function*() {
    // expect-error: the protocol expects a well-formed protocol: role C cannot tell branch
    yield* ch.send("B", "K1", 1)
    return yield* Effect.die("unreachable")
  }))

// The other roles of the same protocol are fine.
expectTypeOf<Local<typeof Ambiguous, "A">>().not.toMatchTypeOf<ProjectionFailure<string>>()

// Duplicate branch messages: B receives M in both branches, then must answer differently.
const Duplicate = Protocol.make("Duplicate", spec, (g) =>
  g.choice("A", "c", {
    x: (b) => b.msg("A", "B", "M").msg("B", "A", "K1"),
    y: (b) => b.msg("A", "B", "M").msg("B", "A", "K2")
  }))
type DuplicateB = Local<typeof Duplicate, "B">
expectTypeOf<DuplicateB["next"]>().toMatchTypeOf<
  ProjectionFailure<`role B cannot tell branch '${string}' from '${string}' of choice 'c' at A: both branches begin, for B, with the same message M from A, so it cannot tell them apart. Give each branch a different first message to B.`>
>()

// A role that is not in the protocol.
expectTypeOf<Local<typeof Ambiguous, "D">>().toEqualTypeOf<ProjectionFailure<"role D is not a role of this protocol">>()
