/**
 * Ill-formed protocols at compile time: the builder rejects undeclared roles, self-messages,
 * unknown labels and misplaced `recur` at the call; a choice some role cannot follow makes
 * `Protocol.make` itself fail to compile (on its name, with the run-time error's sentence),
 * and every use of such a protocol too; `makeEither` does not check, and the role's local
 * type there is a `ProjectionFailure` carrying the sentence.
 */
import { Schema } from "effect"
import { expectTypeOf } from "vitest"
import { type IllFormedReason, type Local, type ProjectionFailure, Protocol, Role, Session } from "../src/index.js"

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

// a loop nested in a loop of the same name: the one error is at the step (none at the name)
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

// A role that cannot learn the branch: C acts differently and nobody tells it. The protocol
// does not compile where it is made, with the run-time error's words, ...
// expect-error: IllFormedProtocol<"role C cannot tell branch 'x' from 'y' of choice 'c' at A: no message tells C which branch was taken. Add a message to C from A at the start of each branch, with a different label per branch.">
const Ambiguous = Protocol.make("Ambiguous", spec, (g) =>
  g.choice("A", "c", {
    x: (b) => b.msg("A", "B", "M1").msg("C", "B", "K1"),
    y: (b) => b.msg("A", "B", "M2").msg("C", "B", "K2")
  }))
// ... and no use of it compiles either: not by C, ...
// expect-error: Argument of type 'IllFormed<"the protocol does not compile: see the error at its Protocol.make"
Role.program(Ambiguous, "C", (ch) => ch.close())
// ... nor by the roles that are fine, ...
// expect-error: Argument of type 'IllFormed<"the protocol does not compile: see the error at its Protocol.make"
Role.implement(Ambiguous, "B", { send: {}, recv: {} }, 0)
// ... nor as a session.
// expect-error: Argument of type 'IllFormed<"the protocol does not compile: see the error at its Protocol.make"
Session.run(Ambiguous, {})

// `makeEither` does not check (it reports at run time): its protocol's local types show where
// projection fails. The other roles of the same protocol are fine.
const AmbiguousEither = Protocol.makeEither("Ambiguous", spec, (g) =>
  g.choice("A", "c", {
    x: (b) => b.msg("A", "B", "M1").msg("C", "B", "K1"),
    y: (b) => b.msg("A", "B", "M2").msg("C", "B", "K2")
  }))
type AmbiguousP = Extract<typeof AmbiguousEither, { _tag: "Right" }>["right"]
expectTypeOf<Local<AmbiguousP, "A">>().not.toMatchTypeOf<ProjectionFailure<string>>()
expectTypeOf<IllFormedReason<AmbiguousP>>().toEqualTypeOf<"role C cannot tell branch 'x' from 'y' of choice 'c' at A: no message tells C which branch was taken. Add a message to C from A at the start of each branch, with a different label per branch.">()

// Duplicate branch messages: B receives M in both branches, then must answer differently.
// expect-error: IllFormedProtocol<"role B cannot tell branch 'x' from 'y' of choice 'c' at A: both branches begin, for B, with the same message M from A
Protocol.make("Duplicate", spec, (g) =>
  g.choice("A", "c", {
    x: (b) => b.msg("A", "B", "M").msg("B", "A", "K1"),
    y: (b) => b.msg("A", "B", "M").msg("B", "A", "K2")
  }))
const DuplicateEither = Protocol.makeEither("Duplicate", spec, (g) =>
  g.choice("A", "c", {
    x: (b) => b.msg("A", "B", "M").msg("B", "A", "K1"),
    y: (b) => b.msg("A", "B", "M").msg("B", "A", "K2")
  }))
type DuplicateB = Local<Extract<typeof DuplicateEither, { _tag: "Right" }>["right"], "B">
expectTypeOf<DuplicateB["next"]>().toMatchTypeOf<
  ProjectionFailure<`role B cannot tell branch '${string}' from '${string}' of choice 'c' at A: both branches begin, for B, with the same message M from A, so it cannot tell them apart. Give each branch a different first message to B.`>
>()

// A role that is not in the protocol.
expectTypeOf<Local<AmbiguousP, "D">>().toEqualTypeOf<ProjectionFailure<"role D is not a role of this protocol">>()
