/**
 * `quadrille/testing`: fast-check arbitraries of global protocols (choices, loops, composed
 * sub-protocols, broadcasts, rounds and parallel branches), of ill-formed protocols paired with
 * the well-formedness rule each breaks, generated implementations of their roles, and the
 * oracle that checks a run against the global protocol, for property-based tests.
 *
 * @since 0.1.0
 */
export * from "./arbitrary.js"
export * from "./illformed.js"
export * as Trace from "./Trace.js"
export { type Simulation, simulate, simulateEffect, type SimulateOptions } from "./simulate.js"
export * as Deterministic from "../handlers/deterministic.js"
export * as Chaos from "../handlers/chaos.js"
export * from "./faults.js"
export * as Reliable from "../handlers/reliable.js"
