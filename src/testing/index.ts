/**
 * `quadrille/testing`: sessions on a simulated network (`simulate`, deterministic scheduling,
 * chaos, the reliable layer) and the oracle that checks a recorded trace against the global
 * protocol (`Trace`). It does not need fast-check: the arbitraries of protocols, ill-formed
 * protocols and fault plans for property-based tests are in `quadrille/testing/arbitrary`
 * (fast-check 4) and `quadrille/testing/arbitrary/effect` (`effect/FastCheck`).
 *
 * @since 0.1.0
 */
export * as Trace from "./Trace.js"
export { type Simulation, simulate, simulateEffect, type SimulateOptions } from "./simulate.js"
export * as Deterministic from "../handlers/deterministic.js"
export * as Chaos from "../handlers/chaos.js"
export * as Reliable from "../handlers/reliable.js"
