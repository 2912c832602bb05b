/**
 * `Redis` in `quadrille/node`: the client, `Storage` on it, and the Streams transport.
 *
 * @since 0.1.0
 */
export * from "./redis.js"
export * from "./redis-transport.js"
