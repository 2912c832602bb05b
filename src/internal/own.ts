/**
 * Records indexed by names users and peers choose (labels, choices, loops, roles): a name
 * like `toString` or `__proto__` must find nothing it was not given, and setting it must make
 * an own property, never change a prototype.
 *
 * @internal
 */

const hasOwn = Object.prototype.hasOwnProperty

/** `record[key]` when it is the record's own property, else `undefined`. */
export const own = <V>(record: { readonly [key: string]: V } | undefined, key: string): V | undefined =>
  record !== undefined && hasOwn.call(record, key) ? record[key] : undefined

/** Sets `record[key]` as an own, enumerable property (`__proto__` included). */
export const setOwn = <V>(record: Record<string, V>, key: string, value: V): void => {
  if (key === "__proto__") Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true })
  else record[key] = value
}
