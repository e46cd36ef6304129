// list(labels): a sandbox matches when its labels include every label of the filter.

export function matchesLabels(labels: Readonly<Record<string, string>>, filter: Readonly<Record<string, string>>): boolean {
  for (const key in filter) {
    if (labels[key] !== filter[key] || !Object.hasOwn(labels, key)) return false
  }
  return true
}

/** What list() answers: the live sandboxes whose labels match, described by `info`. */
export function listMatching<S extends { spec: { labels: Readonly<Record<string, string>> } }, I>(
  live: ReadonlyMap<string, S>, labels: Readonly<Record<string, string>> | undefined, info: (sandbox: S) => I
): I[] {
  const found: I[] = []
  for (const sandbox of live.values()) {
    if (labels === undefined || matchesLabels(sandbox.spec.labels, labels)) found.push(info(sandbox))
  }
  return found
}
