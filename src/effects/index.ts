/**
 * Services and the error taxonomy.
 *
 * @since 0.1.0
 */
export * from "./errors.js"
export { decodeEnvelope, type Envelope, EnvelopeSchema, maxNameLength, Transport, type TransportService } from "./Transport.js"
export * as Observe from "./Observe.js"
export * as TraceSink from "./TraceSink.js"
export * as Storage from "./Storage.js"
