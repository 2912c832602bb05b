/**
 * `saga` at compile time: the exact local types of every role (the seed's
 * CompensatingTransaction, a saga in a loop with a role only in the compensation, a saga in
 * one branch of a choice whose owner has no part in the forward part and a role that skips
 * it, a saga holding a timeout, composed sagas), the typed endpoint `saga(forward,
 * compensate)` and its union result (the forward function's errors do not escape, the
 * compensation's do), its misuse, and the `onCompensate` handlers of `Role.implement`.
 * Expected-error texts avoid the members of unions, whose order differs between TypeScript
 * 5.9 and 7.0.
 */
import { Context, Effect, Schema } from "effect"
import { expectTypeOf } from "vitest"
import type {
  Branch,
  End,
  Endpoint,
  Local,
  LocalTimeout,
  Offer,
  ProjectionFailure,
  Rec,
  Recv,
  Saga,
  Select,
  Send,
  Var
} from "../src/index.js"
import { Protocol, Role } from "../src/index.js"
import type { Shape } from "./shape.js"

// ---------------------------------------------------------------------------------------------
// CompensatingTransaction (the seed's): the Coordinator reserves at A, allocates at B, commits
// both; when anything fails on the way, it releases both instead

const Id = Schema.Struct({ id: Schema.String })
const Ok = Schema.Struct({ ok: Schema.Boolean })

const CompensatingTransaction = Protocol.make("CompensatingTransaction", {
  roles: ["Coordinator", "ServiceA", "ServiceB"],
  messages: {
    ReserveResource: Id,
    ReservationConfirmed: Ok,
    AllocateResource: Id,
    AllocationConfirmed: Ok,
    CommitReservation: Id,
    CommitAllocation: Id,
    ReleaseAllocation: Id,
    ReleaseReservation: Id
  }
}, (g) =>
  g.saga(
    "Coordinator",
    "transaction",
    (f) =>
      f
        .msg("Coordinator", "ServiceA", "ReserveResource")
        .msg("ServiceA", "Coordinator", "ReservationConfirmed")
        .msg("Coordinator", "ServiceB", "AllocateResource")
        .msg("ServiceB", "Coordinator", "AllocationConfirmed")
        .msg("Coordinator", "ServiceA", "CommitReservation")
        .msg("Coordinator", "ServiceB", "CommitAllocation"),
    (c) => c.msg("Coordinator", "ServiceB", "ReleaseAllocation").msg("Coordinator", "ServiceA", "ReleaseReservation")
  ))

type Id = { readonly id: string }
type Ok = { readonly ok: boolean }

expectTypeOf<Local<typeof CompensatingTransaction, "Coordinator">>().toEqualTypeOf<
  Saga<"transaction", "Coordinator",
    Send<"ServiceA", "ReserveResource", Id,
      Recv<"ServiceA", "ReservationConfirmed", Ok,
        Send<"ServiceB", "AllocateResource", Id,
          Recv<"ServiceB", "AllocationConfirmed", Ok,
            Send<"ServiceA", "CommitReservation", Id,
              Send<"ServiceB", "CommitAllocation", Id, End>>>>>>,
    Send<"ServiceB", "ReleaseAllocation", Id, Send<"ServiceA", "ReleaseReservation", Id, End>>,
    End>
>()
expectTypeOf<Local<typeof CompensatingTransaction, "ServiceA">>().toEqualTypeOf<
  Saga<"transaction", "Coordinator",
    Recv<"Coordinator", "ReserveResource", Id,
      Send<"Coordinator", "ReservationConfirmed", Ok, Recv<"Coordinator", "CommitReservation", Id, End>>>,
    Recv<"Coordinator", "ReleaseReservation", Id, End>,
    End>
>()
expectTypeOf<Local<typeof CompensatingTransaction, "ServiceB">>().toEqualTypeOf<
  Saga<"transaction", "Coordinator",
    Recv<"Coordinator", "AllocateResource", Id,
      Send<"Coordinator", "AllocationConfirmed", Ok, Recv<"Coordinator", "CommitAllocation", Id, End>>>,
    Recv<"Coordinator", "ReleaseAllocation", Id, End>,
    End>
>()
// The shapes the agreement test compares with the run-time projection.
expectTypeOf<Shape<Local<typeof CompensatingTransaction, "Coordinator">>>().toEqualTypeOf<
  ["Saga", "transaction", "Coordinator",
    ["Send", "ServiceA", "ReserveResource", ["Recv", "ServiceA", "ReservationConfirmed", ["Send", "ServiceB", "AllocateResource",
      ["Recv", "ServiceB", "AllocationConfirmed", ["Send", "ServiceA", "CommitReservation", ["Send", "ServiceB", "CommitAllocation", "End"]]]]]],
    ["Send", "ServiceB", "ReleaseAllocation", ["Send", "ServiceA", "ReleaseReservation", "End"]],
    "End"]
>()
expectTypeOf<Shape<Local<typeof CompensatingTransaction, "ServiceB">>>().toEqualTypeOf<
  ["Saga", "transaction", "Coordinator",
    ["Recv", "Coordinator", "AllocateResource", ["Send", "Coordinator", "AllocationConfirmed", ["Recv", "Coordinator", "CommitAllocation", "End"]]],
    ["Recv", "Coordinator", "ReleaseAllocation", "End"],
    "End"]
>()

// ---------------------------------------------------------------------------------------------
// Orders: a saga per round of a loop; Audit acts only in the compensation

const Orders = Protocol.make("Orders", {
  roles: ["Shop", "Bank", "Audit"],
  messages: {
    Charge: Schema.Number,
    Charged: Schema.Struct({ receipt: Schema.String }),
    Refund: Schema.Number,
    Refunded: Schema.String,
    More: Schema.Struct({}),
    Stop: Schema.Struct({})
  }
}, (g) =>
  g.loop("order", (l) =>
    l
      .saga(
        "Shop",
        "payment",
        (f) => f.msg("Shop", "Bank", "Charge").msg("Bank", "Shop", "Charged"),
        (c) => c.msg("Shop", "Bank", "Refund").msg("Shop", "Audit", "Refunded")
      )
      .choice("Shop", "again", {
        more: (b) => b.msg("Shop", "Bank", "More").msg("Shop", "Audit", "More").recur("order"),
        stop: (b) => b.msg("Shop", "Bank", "Stop").msg("Shop", "Audit", "Stop")
      })))

type Charged = { readonly receipt: string }

expectTypeOf<Local<typeof Orders, "Shop">>().toEqualTypeOf<
  Rec<"order",
    Saga<"payment", "Shop",
      Send<"Bank", "Charge", number, Recv<"Bank", "Charged", Charged, End>>,
      Send<"Bank", "Refund", number, Send<"Audit", "Refunded", string, End>>,
      Select<{
        readonly more: Send<"Bank", "More", {}, Send<"Audit", "More", {}, Var<"order">>>
        readonly stop: Send<"Bank", "Stop", {}, Send<"Audit", "Stop", {}, End>>
      }>>>
>()
expectTypeOf<Local<typeof Orders, "Bank">>().toEqualTypeOf<
  Rec<"order",
    Saga<"payment", "Shop",
      Recv<"Shop", "Charge", number, Send<"Shop", "Charged", Charged, End>>,
      Recv<"Shop", "Refund", number, End>,
      Offer<"Shop", { readonly More: Branch<{}, Var<"order">>; readonly Stop: Branch<{}, End> }>>>
>()
// Audit has no part in the forward part: its forward is End; it is in the saga all the same.
expectTypeOf<Local<typeof Orders, "Audit">>().toEqualTypeOf<
  Rec<"order",
    Saga<"payment", "Shop",
      End,
      Recv<"Shop", "Refunded", string, End>,
      Offer<"Shop", { readonly More: Branch<{}, Var<"order">>; readonly Stop: Branch<{}, End> }>>>
>()
expectTypeOf<Shape<Local<typeof Orders, "Audit">>>().toEqualTypeOf<
  ["Rec", "order", ["Saga", "payment", "Shop", "End", ["Recv", "Shop", "Refunded", "End"], ["Offer", "Shop", { More: ["Var", "order"]; Stop: "End" }]]]
>()

// ---------------------------------------------------------------------------------------------
// Transfer: a saga in one branch of a choice. Its owner, the Bank, has no part in the forward
// part (unlike a timeout's deciding role, it needs none); the Observer is in no part and skips it

const Transfer = Protocol.make("Transfer", {
  roles: ["Bank", "Src", "Dst", "Observer"],
  messages: {
    Debit: Schema.Number,
    Notice: Schema.Struct({}),
    Credit: Schema.Number,
    Undo: Schema.Number,
    Skip: Schema.Struct({}),
    Fin: Schema.Struct({})
  }
}, (g) =>
  g
    .choice("Bank", "route", {
      move: (b) =>
        b
          .msg("Bank", "Src", "Debit")
          .msg("Bank", "Dst", "Notice")
          .saga("Bank", "transfer", (f) => f.msg("Src", "Dst", "Credit"), (c) => c.msg("Bank", "Src", "Undo").msg("Bank", "Dst", "Undo")),
      stay: (b) => b.msg("Bank", "Src", "Skip").msg("Bank", "Dst", "Skip")
    })
    .msg("Bank", "Observer", "Fin"))

expectTypeOf<Local<typeof Transfer, "Bank">>().toEqualTypeOf<
  Select<{
    readonly move: Send<"Src", "Debit", number,
      Send<"Dst", "Notice", {},
        Saga<"transfer", "Bank", End, Send<"Src", "Undo", number, Send<"Dst", "Undo", number, End>>, Send<"Observer", "Fin", {}, End>>>>
    readonly stay: Send<"Src", "Skip", {}, Send<"Dst", "Skip", {}, Send<"Observer", "Fin", {}, End>>>
  }>
>()
expectTypeOf<Local<typeof Transfer, "Src">>().toEqualTypeOf<
  Offer<"Bank", {
    readonly Debit: Branch<number, Saga<"transfer", "Bank", Send<"Dst", "Credit", number, End>, Recv<"Bank", "Undo", number, End>, End>>
    readonly Skip: Branch<{}, End>
  }>
>()
expectTypeOf<Local<typeof Transfer, "Dst">>().toEqualTypeOf<
  Offer<"Bank", {
    readonly Notice: Branch<{}, Saga<"transfer", "Bank", Recv<"Src", "Credit", number, End>, Recv<"Bank", "Undo", number, End>, End>>
    readonly Skip: Branch<{}, End>
  }>
>()
expectTypeOf<Local<typeof Transfer, "Observer">>().toEqualTypeOf<Recv<"Bank", "Fin", {}, End>>()

// Without the Notice, Dst cannot tell whether the saga comes: in one branch its first action
// is the saga, in the other a receive.
const Untold = Protocol.makeEither("Untold", {
  roles: ["Bank", "Src", "Dst"],
  messages: { Debit: Schema.Number, Credit: Schema.Number, Undo: Schema.Number, Skip: Schema.Struct({}) }
}, (g) =>
  g.choice("Bank", "route", {
    move: (b) => b.msg("Bank", "Src", "Debit").saga("Bank", "transfer", (f) => f.msg("Src", "Dst", "Credit"), (c) => c.msg("Bank", "Dst", "Undo")),
    stay: (b) => b.msg("Bank", "Src", "Skip").msg("Bank", "Dst", "Skip")
  }))
type UntoldDst = Local<Extract<typeof Untold, { _tag: "Right" }>["right"], "Dst">
expectTypeOf<UntoldDst>().toMatchTypeOf<ProjectionFailure<`role Dst cannot tell branch '${string}' from '${string}' of choice 'route' at Bank${string}`>>()

// ---------------------------------------------------------------------------------------------
// Guarded: a timeout inside the forward part (its expiry is a failure of the saga)

const Guarded = Protocol.make("Guarded", {
  roles: ["Client", "Server"],
  messages: { Order: Schema.String, Accepted: Schema.Number, Cancel: Schema.Struct({}), Receipt: Schema.Number }
}, (g) =>
  g
    .saga(
      "Client",
      "order",
      (f) => f.msg("Client", "Server", "Order").timeout("Client", "accept", "2 seconds", (b) => b.msg("Server", "Client", "Accepted"), (t) => t),
      (c) => c.msg("Client", "Server", "Cancel")
    )
    .msg("Server", "Client", "Receipt"))

expectTypeOf<Local<typeof Guarded, "Client">>().toEqualTypeOf<
  Saga<"order", "Client",
    Send<"Server", "Order", string, LocalTimeout<"accept", "Client", Recv<"Server", "Accepted", number, End>, End, End>>,
    Send<"Server", "Cancel", {}, End>,
    Recv<"Server", "Receipt", number, End>>
>()
expectTypeOf<Local<typeof Guarded, "Server">>().toEqualTypeOf<
  Saga<"order", "Client",
    Recv<"Client", "Order", string, LocalTimeout<"accept", "Client", Send<"Client", "Accepted", number, End>, End, End>>,
    Recv<"Client", "Cancel", {}, End>,
    Send<"Client", "Receipt", number, End>>
>()
expectTypeOf<Shape<Local<typeof Guarded, "Server">>>().toEqualTypeOf<
  ["Saga", "order", "Client", ["Recv", "Client", "Order", ["Timeout", "accept", "Client", ["Send", "Client", "Accepted", "End"], "End", "End"]], ["Recv", "Client", "Cancel", "End"], ["Send", "Client", "Receipt", "End"]]
>()

// ---------------------------------------------------------------------------------------------
// Composed sagas: the owner and both parts are renamed; a catalogue composed inside a part
// joins the protocol's (Hold is used after the saga)

const Outer = Protocol.make("Outer", { roles: ["C", "A", "B"], messages: {} }, (g) =>
  g.compose(CompensatingTransaction, { Coordinator: "C", ServiceA: "A", ServiceB: "B" }))

expectTypeOf<Local<typeof Outer, "C">>().toEqualTypeOf<
  Saga<"transaction", "C",
    Send<"A", "ReserveResource", Id,
      Recv<"A", "ReservationConfirmed", Ok,
        Send<"B", "AllocateResource", Id, Recv<"B", "AllocationConfirmed", Ok, Send<"A", "CommitReservation", Id, Send<"B", "CommitAllocation", Id, End>>>>>>,
    Send<"B", "ReleaseAllocation", Id, Send<"A", "ReleaseReservation", Id, End>>,
    End>
>()
expectTypeOf<Local<typeof Outer, "A">>().toEqualTypeOf<
  Saga<"transaction", "C",
    Recv<"C", "ReserveResource", Id, Send<"C", "ReservationConfirmed", Ok, Recv<"C", "CommitReservation", Id, End>>>,
    Recv<"C", "ReleaseReservation", Id, End>,
    End>
>()

const HoldSeat = Protocol.make("HoldSeat", { roles: ["X", "Y"], messages: { Hold: Schema.Struct({ seat: Schema.Number }) } }, (g) =>
  g.msg("X", "Y", "Hold"))
const Booking = Protocol.make("Booking", { roles: ["P", "Q"], messages: { Cancel: Schema.Struct({}) } }, (g) =>
  g.saga("P", "book", (f) => f.compose(HoldSeat, { X: "P", Y: "Q" }), (c) => c.msg("P", "Q", "Cancel")).msg("P", "Q", "Hold"))

expectTypeOf<Local<typeof Booking, "P">>().toEqualTypeOf<
  Saga<"book", "P", Send<"Q", "Hold", { readonly seat: number }, End>, Send<"Q", "Cancel", {}, End>, Send<"Q", "Hold", { readonly seat: number }, End>>
>()

// ---------------------------------------------------------------------------------------------
// Ill-formed sagas rejected at the builder call

const messages = { M: Schema.Number }

// The parts cannot go round an enclosing loop: one error, at the recur (not a second one at the
// name from the projection of what the rejected call left behind).
Protocol.make("RecurOut", { roles: ["A", "B"], messages }, (g) =>
  g.loop("l", (l) =>
    l.msg("A", "B", "M").saga(
      "A",
      "s",
      (f) => f.msg("B", "A", "M"),
      // expect-error: Argument of type '"l"' is not assignable to parameter of type '"recur('l') is not inside loop 'l'
      (c) => c.msg("A", "B", "M").recur("l")
    )))

// Only declared roles own a saga, and only catalogue labels are sent in it.
// expect-error: Argument of type '"Z"' is not assignable to parameter of type '"A" | "B"'
Protocol.make("Undeclared", { roles: ["A", "B"], messages }, (g) => g.saga("Z", "s", (f) => f, (c) => c))
Protocol.make("UnknownLabel", { roles: ["A", "B"], messages }, (g) =>
  // expect-error: Argument of type '"Nope"' is not assignable to parameter of type '"M"'
  g.saga("A", "s", (f) => f.msg("A", "B", "Nope"), (c) => c))

// Two functions, always.
// expect-error: Expected 4 arguments, but got 3
Protocol.make("NoCompensation", { roles: ["A", "B"], messages }, (g) => g.saga("A", "s", (f) => f.msg("A", "B", "M")))

// ---------------------------------------------------------------------------------------------
// Endpoints used as intended

class Ledger extends Context.Tag("Ledger")<Ledger, { readonly next: Effect.Effect<string> }>() {}

// The Coordinator by hand: saga(forward, compensate) gives which one ran to the end, with
// what its function closed with, and the endpoint of what follows. The forward function fails
// when a service says no: that failure is what switches the saga to its compensation, so it
// is not the program's error; the services the forward function needs are the program's.
const coordinator = Role.program(CompensatingTransaction, "Coordinator", (ch) =>
  Effect.gen(function*() {
    const outcome = yield* ch.saga(
      (f) =>
        Effect.gen(function*() {
          const id = yield* Effect.flatMap(Ledger, (l) => l.next)
          const [a, f2] = yield* (yield* f.send("ServiceA", "ReserveResource", { id })).recv("ServiceA", "ReservationConfirmed")
          if (!a.ok) return yield* Effect.fail("reservation refused" as const)
          const [b, f4] = yield* (yield* f2.send("ServiceB", "AllocateResource", { id })).recv("ServiceB", "AllocationConfirmed")
          if (!b.ok) return yield* Effect.fail("allocation refused" as const)
          const f5 = yield* f4.send("ServiceA", "CommitReservation", { id })
          const end = yield* f5.send("ServiceB", "CommitAllocation", { id })
          return yield* end.close(id)
        }),
      (c) =>
        Effect.gen(function*() {
          const c1 = yield* c.send("ServiceB", "ReleaseAllocation", { id: "?" })
          const end = yield* c1.send("ServiceA", "ReleaseReservation", { id: "?" })
          return yield* end.close(0)
        })
    )
    expectTypeOf(outcome.label).toEqualTypeOf<"committed" | "compensated">()
    if (outcome.label === "committed") {
      expectTypeOf(outcome.result).toEqualTypeOf<string>()
      return yield* outcome.next.close(outcome.result)
    }
    expectTypeOf(outcome.result).toEqualTypeOf<0>()
    return yield* outcome.next.close(null)
  }))
expectTypeOf<Role.Success<typeof coordinator>>().toEqualTypeOf<string | null>()
expectTypeOf<Role.Failure<typeof coordinator>>().toEqualTypeOf<never>()
expectTypeOf<Role.Requirements<typeof coordinator>>().toEqualTypeOf<Ledger>()

// ServiceA's compensation fails when the id is unknown: that error is the program's.
const serviceA = Role.program(CompensatingTransaction, "ServiceA", (ch) =>
  Effect.gen(function*() {
    const { result, next } = yield* ch.saga(
      (f) =>
        Effect.gen(function*() {
          const [req, f1] = yield* f.recv("Coordinator", "ReserveResource")
          const f2 = yield* f1.send("Coordinator", "ReservationConfirmed", { ok: req.id !== "" })
          const [, end] = yield* f2.recv("Coordinator", "CommitReservation")
          return yield* end.close(true)
        }),
      (c) =>
        Effect.gen(function*() {
          const [r, end] = yield* c.recv("Coordinator", "ReleaseReservation")
          if (r.id === "") return yield* Effect.fail("unknown reservation" as const)
          return yield* end.close(false)
        })
    )
    expectTypeOf(result).toEqualTypeOf<boolean>()
    return yield* next.close(result)
  }))
expectTypeOf<Role.Failure<typeof serviceA>>().toEqualTypeOf<"unknown reservation">()

// A part written apart against the endpoint type of the role's part of it.
const release = (c: Endpoint<Recv<"Coordinator", "ReleaseAllocation", Id, End>>) =>
  Effect.flatMap(c.recv("Coordinator", "ReleaseAllocation"), ([r, end]) => end.close(r.id))
Role.program(CompensatingTransaction, "ServiceB", (ch) =>
  Effect.gen(function*() {
    const outcome = yield* ch.saga(
      (f) =>
        Effect.gen(function*() {
          const [, f1] = yield* f.recv("Coordinator", "AllocateResource")
          const [, end] = yield* (yield* f1.send("Coordinator", "AllocationConfirmed", { ok: true })).recv("Coordinator", "CommitAllocation")
          return yield* end.close()
        }),
      release
    )
    expectTypeOf(outcome.result).toEqualTypeOf<void | string>()
    return yield* outcome.next.close()
  }))

// In a loop: a role with no part in the forward part closes it at once; its compensation receives.
Role.program(Orders, "Audit", (ch) =>
  Effect.gen(function*() {
    let at = ch
    let refunds = 0
    for (;;) {
      const { label, next } = yield* at.saga(
        (f) => f.close(),
        (c) => Effect.flatMap(c.recv("Shop", "Refunded"), ([note, end]) => end.close(note))
      )
      if (label === "compensated") refunds++
      const o = yield* next.offer()
      if (o.label === "Stop") return yield* o.next.close(refunds)
      at = o.next
    }
  }))

// After a choice: the owner with no part in the forward part; the saga's endpoint comes after
// the Notice. Each function may return a union of Effects: every member's result and error count.
const bank = Role.program(Transfer, "Bank", (ch) =>
  Effect.gen(function*() {
    const m = yield* ch.select("move")
    const s = yield* (yield* m.send("Src", "Debit", 10)).send("Dst", "Notice", {})
    const { result, next } = yield* s.saga(
      (f) => (Math.random() > 0.5 ? f.close(1) : Effect.fail("gave up" as const)),
      (c) =>
        Math.random() > 0.5
          ? Effect.flatMap(c.send("Src", "Undo", 10), (c1) => Effect.flatMap(c1.send("Dst", "Undo", 10), (end) => end.close("undone")))
          : Effect.fail("stuck" as const)
    )
    expectTypeOf(result).toEqualTypeOf<1 | "undone">()
    return yield* (yield* next.send("Observer", "Fin", {})).close()
  }))
expectTypeOf<Role.Failure<typeof bank>>().toEqualTypeOf<"stuck">()

// A timeout in the forward part: its endpoint is the forward endpoint's.
Role.program(Guarded, "Client", (ch) =>
  Effect.gen(function*() {
    const { next } = yield* ch.saga(
      (f) =>
        Effect.gen(function*() {
          const t = yield* f.send("Server", "Order", "book")
          const { label, result, next } = yield* t.timeout(
            (b) => Effect.flatMap(b.recv("Server", "Accepted"), ([n, end]) => end.close(n)),
            (fb) => fb.close(-1)
          )
          if (label === "timeout") return yield* Effect.fail("no answer" as const)
          return yield* next.close(result)
        }),
      (c) => Effect.flatMap(c.send("Server", "Cancel", {}), (end) => end.close())
    )
    const [receipt, end] = yield* next.recv("Server", "Receipt")
    return yield* end.close(receipt)
  }))

// ---------------------------------------------------------------------------------------------
// Misuse of saga endpoints

Role.program(CompensatingTransaction, "Coordinator", (ch) =>
  Effect.gen(function*() {
    // Sending on the endpoint of the saga, instead of in its forward part.
    // expect-error: the protocol expects saga() 'transaction' here
    yield* ch.send("ServiceA", "ReserveResource", { id: "x" })
    // A timeout where the saga comes.
    // expect-error: the protocol expects saga() 'transaction' here
    yield* ch.timeout((b) => b.close(), (f) => f.close())
    // Closing before the saga.
    // expect-error: the protocol expects saga() 'transaction' here
    yield* ch.close()
    yield* ch.saga(
      // A forward function that returns without close(): the sentence says what to do.
      // expect-error: the program must end with close() on its last endpoint: return yield* end.close(result), not the result itself
      (f) => Effect.map(f.send("ServiceA", "ReserveResource", { id: "x" }), () => "sent"),
      (c) => Effect.die(c)
    )
    yield* ch.saga(
      (f) => Effect.die(f),
      // The compensation releases the allocation first.
      // expect-error: Argument of type '"ServiceA"' is not assignable to parameter of type '"ServiceB"'
      (c) => Effect.flatMap(c.send("ServiceA", "ReleaseReservation", { id: "x" }), (end) => Effect.die(end))
    )
    yield* ch.saga(
      (f) =>
        Effect.gen(function*() {
          const f1 = yield* f.send("ServiceA", "ReserveResource", { id: "x" })
          // A saga inside the saga, where the reservation's confirmation comes.
          // expect-error: the protocol expects recv ReservationConfirmed from ServiceA here
          yield* f1.saga((g) => g.close(), (c) => c.close())
          return yield* Effect.die("unreachable")
        }),
      (c) => Effect.die(c)
    )
    // One function where the saga takes two.
    // expect-error: Expected 2 arguments, but got 1
    yield* ch.saga((f) => Effect.die(f))
    const { next } = yield* ch.saga((f) => Effect.die(f), (c) => Effect.die(c))
    // The protocol ends after the saga.
    // expect-error: the protocol expects close() here
    yield* next.send("ServiceA", "CommitReservation", { id: "x" })
    return yield* Effect.die("unreachable")
  }))

Role.program(Orders, "Audit", (ch) =>
  Effect.gen(function*() {
    yield* ch.saga(
      // Audit has no part in the forward part: receiving in it does not compile.
      // expect-error: the protocol expects close() here
      (f) => f.recv("Shop", "Refunded"),
      (c) => Effect.flatMap(c.recv("Shop", "Refunded"), ([, end]) => end.close())
    )
    return yield* Effect.die("unreachable")
  }))

Role.program(Transfer, "Bank", (ch) =>
  // A saga before the choice that leads to it.
  // expect-error: the protocol expects select one of
  ch.saga((f) => f.close(), (c) => c.close()))

Role.program(Transfer, "Observer", (ch) =>
  Effect.gen(function*() {
    // The Observer is in no part of the saga: it has no saga step.
    // expect-error: the protocol expects recv Fin from Bank here
    yield* ch.saga((f) => f.close(), (c) => c.close())
    return yield* Effect.die("unreachable")
  }))

// ---------------------------------------------------------------------------------------------
// Handlers of generated roles

const coordinatorSends = {
  ReserveResource: () => ({ id: "r" }),
  AllocateResource: () => ({ id: "a" }),
  CommitReservation: () => ({ id: "r" }),
  CommitAllocation: () => ({ id: "a" }),
  ReleaseAllocation: () => ({ id: "a" }),
  ReleaseReservation: () => ({ id: "r" })
}

// The Coordinator: send handlers for both parts; onCompensate is optional, and may fail.
Role.implement(CompensatingTransaction, "Coordinator", { send: coordinatorSends }, null)
const generated = Role.implement(CompensatingTransaction, "Coordinator", {
  send: coordinatorSends,
  recv: { ReservationConfirmed: (s, r) => ({ ...s, reserved: r.ok }), AllocationConfirmed: (s, r) => ({ ...s, allocated: r.ok }) },
  onCompensate: { transaction: (s) => (s.reserved ? Effect.succeed(s) : Effect.fail("nothing to release" as const)) }
}, { reserved: false, allocated: false })
expectTypeOf<Role.Success<typeof generated>>().toEqualTypeOf<{ reserved: boolean; allocated: boolean }>()
expectTypeOf<Role.Failure<typeof generated>>().toEqualTypeOf<"nothing to release">()

// A send handler for a label of the compensation is required like any other.
Role.implement(CompensatingTransaction, "Coordinator", {
  // expect-error: Property 'ReleaseReservation' is missing
  send: {
    ReserveResource: () => ({ id: "r" }),
    AllocateResource: () => ({ id: "a" }),
    CommitReservation: () => ({ id: "r" }),
    CommitAllocation: () => ({ id: "a" }),
    ReleaseAllocation: () => ({ id: "a" })
  }
}, null)

// ServiceA: a receive handler for its compensation's label, and an onCompensate.
Role.implement(CompensatingTransaction, "ServiceA", {
  send: { ReservationConfirmed: () => ({ ok: true }) },
  recv: { ReleaseReservation: (s, r) => s.filter((id) => id !== r.id) },
  onCompensate: { transaction: (s) => s }
}, [] as ReadonlyArray<string>)

// An onCompensate handler whose state does not match.
Role.implement(CompensatingTransaction, "ServiceA", {
  send: { ReservationConfirmed: () => ({ ok: true }) },
  // expect-error: Type 'string' is not assignable to type 'Answer<number>'
  onCompensate: { transaction: () => "released" }
}, 0)

// The Observer of Transfer is in no saga: an onCompensate entry for one is an error.
Role.implement(Transfer, "Observer", {
  // expect-error: transfer is not a saga Observer takes part in
  onCompensate: { transfer: (s: null) => s }
}, null)

// An onCompensate entry for a saga that does not exist, next to the right one.
Role.implement(Orders, "Shop", {
  send: { Charge: () => 1, Refund: () => 1, Refunded: () => "r", More: () => ({}), Stop: () => ({}) },
  choose: { again: () => "stop" },
  onCompensate: {
    payment: (s: null) => s,
    // expect-error: booking is not a saga Shop takes part in
    booking: (s: null) => s
  }
}, null)

// A misspelt kind of handler. (Alone in the record, it is refused by the compiler's own check
// of the handler type, which has only optional keys here: "Did you mean to write 'onCompensate'?")
Role.implement(Orders, "Audit", {
  recv: { Refunded: (s: null) => s },
  // expect-error: onCompensation is not a kind of handler: use send, recv or choose, or onTimeout or onCompensate
  onCompensation: { payment: (s: null) => s }
}, null)
Role.implement(Orders, "Audit", {
  // expect-error: Did you mean to write 'onCompensate'?
  onCompensation: { payment: (s: null) => s }
}, null)

// Audit, only in the compensation: a receive handler for it, and an onCompensate; both optional.
Role.implement(Orders, "Audit", {}, null)
Role.implement(Orders, "Audit", {
  recv: { Refunded: (s, note) => [...s, note] },
  onCompensate: { payment: (s) => s }
}, [] as ReadonlyArray<string>)

// The owner with no part in the forward part: its compensation's sends need handlers.
Role.implement(Transfer, "Bank", {
  // expect-error: Property 'Undo' is missing
  send: { Debit: () => 1, Notice: () => ({}), Skip: () => ({}), Fin: () => ({}) },
  choose: { route: () => "move" }
}, null)
Role.implement(Transfer, "Bank", {
  send: { Debit: () => 1, Notice: () => ({}), Skip: () => ({}), Fin: () => ({}), Undo: () => 1 },
  choose: { route: () => "move" }
}, null)

// A timeout inside the saga: the Client decides it, so its onTimeout is required next to the saga's.
// expect-error: Property 'onTimeout' is missing
Role.implement(Guarded, "Client", { send: { Order: () => "o", Cancel: () => ({}) } }, null)
Role.implement(Guarded, "Client", {
  send: { Order: () => "o", Cancel: () => ({}) },
  onTimeout: { accept: (s: null) => s },
  onCompensate: { order: (s: null) => s }
}, null)
