/**
 * CompensatingTransaction, from the seed guide's "Error Handling and Resilience".
 *
 *   saga 'transaction' owned by Coordinator {
 *     Coordinator -> ServiceA : ReserveResource      ServiceA -> Coordinator : ReservationConfirmed
 *     Coordinator -> ServiceB : AllocateResource     ServiceB -> Coordinator : AllocationConfirmed
 *     Coordinator -> ServiceA : CommitReservation    Coordinator -> ServiceB : CommitAllocation
 *   } compensate {                                   (in reverse order)
 *     Coordinator -> ServiceB : ReleaseAllocation
 *     Coordinator -> ServiceA : ReleaseReservation
 *   }
 *
 * The Coordinator owns the saga: when any step of the forward part fails (here, any handler
 * may be told to refuse), every role switches to the compensation, each with its state as
 * the forward part left it, so a service releases only what it really holds.
 */
import { Data, Effect, Schema } from "effect"
import { Protocol, Role, Session } from "../src/index.js"

const Id = Schema.Struct({ resourceId: Schema.String })
const Ok = Schema.Struct({})

export const CompensatingTransaction = Protocol.make("CompensatingTransaction", {
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

/** A service refused a step. */
export class Refused extends Data.TaggedError("Refused")<{ readonly step: string; readonly message: string }> {}

/** The handler steps of the forward part, by role: where a failure can be injected. */
export const forwardSteps = [
  "Coordinator.send.ReserveResource",
  "ServiceA.recv.ReserveResource",
  "ServiceA.send.ReservationConfirmed",
  "Coordinator.recv.ReservationConfirmed",
  "Coordinator.send.AllocateResource",
  "ServiceB.recv.AllocateResource",
  "ServiceB.send.AllocationConfirmed",
  "Coordinator.recv.AllocationConfirmed",
  "Coordinator.send.CommitReservation",
  "ServiceA.recv.CommitReservation",
  "Coordinator.send.CommitAllocation",
  "ServiceB.recv.CommitAllocation"
] as const

export type Step = typeof forwardSteps[number]

/** `value`, or a `Refused` when `step` is the one told to fail. */
const step = <A>(failAt: Step | undefined, here: Step, value: A): Effect.Effect<A, Refused> =>
  failAt === here ? Effect.fail(new Refused({ step: here, message: `${here} refused` })) : Effect.succeed(value)

/** What a service holds: its resource, whether it is committed, and what it did, in order. */
export interface Service {
  readonly holds: string | undefined
  readonly committed: boolean
  readonly log: ReadonlyArray<string>
}

const idle: Service = { holds: undefined, committed: false, log: [] }

/** `string | undefined` in the state, `string | null` in its JSON (which has no `undefined`). */
const StringOrUndefined = Schema.transform(Schema.NullOr(Schema.String), Schema.UndefinedOr(Schema.String), {
  strict: true,
  decode: (s) => s ?? undefined,
  encode: (s) => s ?? null
})

/** The roles' states as Schemas: with them the roles can run durably (`Role.resume`). */
const CoordinatorState = Schema.Array(Schema.String)
const ServiceState = Schema.Struct({ holds: StringOrUndefined, committed: Schema.Boolean, log: Schema.Array(Schema.String) })

const release = (s: Service, what: string): Service =>
  s.holds === undefined ? { ...s, log: [...s.log, `nothing to release`] } : { holds: undefined, committed: false, log: [...s.log, `released ${what} ${s.holds}`] }

export const coordinator = (resourceId: string, failAt?: Step) =>
  Role.implement(CompensatingTransaction, "Coordinator", {
    send: {
      ReserveResource: () => step(failAt, "Coordinator.send.ReserveResource", { resourceId }),
      AllocateResource: () => step(failAt, "Coordinator.send.AllocateResource", { resourceId }),
      CommitReservation: () => step(failAt, "Coordinator.send.CommitReservation", { resourceId }),
      CommitAllocation: () => step(failAt, "Coordinator.send.CommitAllocation", { resourceId }),
      ReleaseAllocation: () => ({ resourceId }),
      ReleaseReservation: () => ({ resourceId })
    },
    recv: {
      ReservationConfirmed: (s) => step(failAt, "Coordinator.recv.ReservationConfirmed", [...s, "reserved"]),
      AllocationConfirmed: (s) => step(failAt, "Coordinator.recv.AllocationConfirmed", [...s, "allocated"])
    },
    onCompensate: { transaction: (s) => [...s, "compensating"] }
  }, [] as ReadonlyArray<string>, { state: CoordinatorState })

export const serviceA = (failAt?: Step) =>
  Role.implement(CompensatingTransaction, "ServiceA", {
    recv: {
      ReserveResource: (s, r) => step(failAt, "ServiceA.recv.ReserveResource", { ...s, holds: r.resourceId, log: [...s.log, `reserved ${r.resourceId}`] }),
      CommitReservation: (s) => step(failAt, "ServiceA.recv.CommitReservation", { ...s, committed: true, log: [...s.log, "committed"] }),
      ReleaseReservation: (s) => release(s, "reservation")
    },
    send: { ReservationConfirmed: () => step(failAt, "ServiceA.send.ReservationConfirmed", {}) }
  }, idle, { state: ServiceState })

export const serviceB = (failAt?: Step) =>
  Role.implement(CompensatingTransaction, "ServiceB", {
    recv: {
      AllocateResource: (s, r) => step(failAt, "ServiceB.recv.AllocateResource", { ...s, holds: r.resourceId, log: [...s.log, `allocated ${r.resourceId}`] }),
      CommitAllocation: (s) => step(failAt, "ServiceB.recv.CommitAllocation", { ...s, committed: true, log: [...s.log, "committed"] }),
      ReleaseAllocation: (s) => release(s, "allocation")
    },
    send: { AllocationConfirmed: () => step(failAt, "ServiceB.send.AllocationConfirmed", {}) }
  }, idle, { state: ServiceState })

/** One transaction, with the step `failAt` (if any) refusing. */
export const main = (failAt?: Step) =>
  Session.run(CompensatingTransaction, {
    Coordinator: coordinator("r-42", failAt),
    ServiceA: serviceA(failAt),
    ServiceB: serviceB(failAt)
  })

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(Effect.forEach([undefined, ...forwardSteps], (failAt) => Effect.map(main(failAt), (r) => ({ failAt, ...r })))).then((rs) =>
    rs.forEach((r) => console.log(JSON.stringify(r)))
  )
}
