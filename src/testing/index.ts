/**
 * `quadrille/testing`: fast-check arbitraries of global protocols and generated
 * implementations of their roles, for property-based tests.
 *
 * @since 0.1.0
 */
export * from "./arbitrary.js"
