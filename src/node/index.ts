/**
 * Quadrille on Node: transports that leave the process. Node-only; the main entry point
 * (`quadrille`) does not load this.
 *
 * - `FileStorage`: checkpoints in files, written atomically (write, fsync, rename).
 * - `Redis`: an ioredis client wrapped in Effect, `Storage` on it, and the Redis Streams
 *   transport, which commits each step of a durable role (`Role.resume`) in one `MULTI`.
 * - `Tcp`: roles in separate processes or hosts, over TCP, each connection authenticated by
 *   an HMAC challenge–response on a key per pair of roles.
 *
 * @since 0.1.0
 */
export * as Tcp from "../handlers/tcp.js"
export * as FileStorage from "../handlers/file-storage.js"
export * as Redis from "../handlers/redis-index.js"
