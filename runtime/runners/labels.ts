// list(labels): a sandbox matches when its labels include every label of the filter.

export function matchesLabels(labels: Readonly<Record<string, string>>, filter: Readonly<Record<string, string>>): boolean {
  for (const key in filter) {
    if (labels[key] !== filter[key] || !Object.hasOwn(labels, key)) return false
  }
  return true
}
