// The little of the Reflect metadata API that @peculiar/x509's dependency
// injection (tsyringe) checks for at load time and reads: getMetadata,
// getOwnMetadata, defineMetadata, metadata. Defined only when absent (the
// `reflect-metadata` package, if ever installed, wins). Imported before
// @peculiar/x509 by every module that uses it (ESM evaluates imports in order).

type Key = unknown
const tables = new WeakMap<object, Map<string | symbol | undefined, Map<Key, unknown>>>()

function table(target: object, property: string | symbol | undefined, create: boolean): Map<Key, unknown> | undefined {
  let byProperty = tables.get(target)
  if (byProperty === undefined) {
    if (!create) return undefined
    byProperty = new Map()
    tables.set(target, byProperty)
  }
  let entries = byProperty.get(property)
  if (entries === undefined && create) {
    entries = new Map()
    byProperty.set(property, entries)
  }
  return entries
}

const api = {
  defineMetadata(key: Key, value: unknown, target: object, property?: string | symbol): void {
    table(target, property, true)!.set(key, value)
  },
  getOwnMetadata(key: Key, target: object, property?: string | symbol): unknown {
    return table(target, property, false)?.get(key)
  },
  getMetadata(key: Key, target: object, property?: string | symbol): unknown {
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
      const found = table(t, property, false)
      if (found?.has(key)) return found.get(key)
    }
    return undefined
  },
  metadata(key: Key, value: unknown) {
    return (target: object, property?: string | symbol) => api.defineMetadata(key, value, target, property)
  }
}

const reflect = Reflect as unknown as Record<string, unknown>
for (const [name, fn] of Object.entries(api)) {
  if (typeof reflect[name] !== 'function') reflect[name] = fn
}

export {}
