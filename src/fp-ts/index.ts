/**
 * `quadrille/fp-ts`: sessions for fp-ts code. `Session.runTask` and `Role.runTask` are
 * `TaskEither`s of the results (`Left`: the tagged error of the role that failed);
 * `Protocol.makeEither` answers an fp-ts `Either`. Needs `fp-ts` 2.16 (an optional peer
 * dependency). Implementations are written as in `quadrille` (`Role.implement` with
 * handlers that return plain values).
 *
 * @since 0.1.0
 */
export * as Protocol from "./Protocol.js"
export * as Role from "./Role.js"
export * as Session from "./Session.js"
export * as Memory from "../handlers/memory.js"
export * from "../effects/errors.js"
