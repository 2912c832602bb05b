/**
 * `quadrille/promise`: running sessions without writing Effect code. `Session.runPromise` and
 * `Role.runPromise` return a `Promise` of the results; a failed run rejects with the tagged
 * error itself (`error._tag` is `"PeerFailed"`, `"Timeout"`, a handler's own...). Protocols
 * and generated implementations (`Protocol.make`, `Role.implement` with handlers that return
 * plain values) are the same as in `quadrille`.
 *
 * @since 0.1.0
 */
export * as Protocol from "../protocol/index.js"
export * as Role from "./Role.js"
export * as Session from "./Session.js"
export * as Memory from "../handlers/memory.js"
export * from "../effects/errors.js"
export type { RunPromiseOptions } from "./run.js"
