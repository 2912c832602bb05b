/**
 * `Local` is a type and a value under one name: `Local<typeof P, "R">` is still the local
 * type computed by the compiler, and `Local.toMermaid` takes the protocol's role names only.
 */
import { Schema } from "effect"
import { expectTypeOf } from "vitest"
import { type End, Local, type ProjectionFailure, Protocol, type Recv, type Send } from "../src/index.js"
import type { Local as Projected } from "../src/session/Local.js"
import { TwoPhaseCommit } from "../examples/two-phase-commit.js"

const Relay = Protocol.make("Relay", { roles: ["A", "B", "C"], messages: { M: Schema.Number } } as const, (g) =>
  g.msg("A", "B", "M").msg("B", "C", "M"))

expectTypeOf<Local<typeof TwoPhaseCommit, "Participant">>().toEqualTypeOf<Projected<typeof TwoPhaseCommit, "Participant">>()
expectTypeOf<Local<typeof Relay, "A">>().toEqualTypeOf<Send<"B", "M", number, End>>()
expectTypeOf<Local<typeof Relay, "B">>().toEqualTypeOf<Recv<"A", "M", number, Send<"C", "M", number, End>>>()

expectTypeOf(Local.toMermaid(TwoPhaseCommit, "Coordinator")).toEqualTypeOf<string>()
expectTypeOf(Local.toMermaid).toEqualTypeOf(Protocol.localToMermaid)
expectTypeOf(Local.project).toEqualTypeOf(Protocol.project)
expectTypeOf(Local.format(Local.project(TwoPhaseCommit, "Participant"))).toEqualTypeOf<string>()

// expect-error: Argument of type '"Nobody"' is not assignable to parameter of type '"Coordinator" | "Participant"'
Local.toMermaid(TwoPhaseCommit, "Nobody")

// expect-error: Argument of type '"Nobody"' is not assignable to parameter of type
Local.project(TwoPhaseCommit, "Nobody")

// The type keeps its checks: a name that is not a role projects to a failure that says so.
expectTypeOf<Local<typeof Relay, "D">>().toEqualTypeOf<ProjectionFailure<"role D is not a role of this protocol">>()
