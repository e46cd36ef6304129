// @peculiar/x509 loads tsyringe, which insists on a Reflect metadata API at
// import time. The few functions it calls, kept in a WeakMap; imported before
// @peculiar/x509 by the TLS tests (helper acm has the engine's own for runtime/acm).
const store = new WeakMap<object, Map<unknown, unknown>>()
const table = (target: object): Map<unknown, unknown> => {
  let m = store.get(target)
  if (m === undefined) store.set(target, (m = new Map()))
  return m
}
const r = Reflect as unknown as Record<string, unknown>
if (typeof r.getMetadata !== 'function') {
  r.defineMetadata = (key: unknown, value: unknown, target: object) => table(target).set(key, value)
  r.getOwnMetadata = (key: unknown, target: object) => store.get(target)?.get(key)
  r.getMetadata = (key: unknown, target: object): unknown => {
    for (let o: object | null = target; o !== null; o = Object.getPrototypeOf(o) as object | null) {
      const m = store.get(o)
      if (m?.has(key)) return m.get(key)
    }
    return undefined
  }
}
export {}
