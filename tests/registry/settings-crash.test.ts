// A registry with its repository settings in a SQLite engine store, killed with SIGKILL at
// random points while it creates repositories (settings + an image) and deletes them: after
// each kill, reopened on the same store file and storage, every acknowledged create is there
// whole (settings, tags, image), every acknowledged delete is gone, and nothing is half
// there — no record left `deleting`, no repository contents without a record.
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Registry } from '../../registry/index.js'
import { SqliteStore } from '../../runtime/store/sqlite.js'
import { REPOSITORY_SETTINGS, StoreRepositorySettings } from '../../runtime/registry-state/index.js'
import { tempDir } from './helpers.js'

const CHILD = join(fileURLToPath(import.meta.url), '..', 'fixtures', 'settings-kill-child.ts')
const ROUNDS = 4

/**
 * Runs the child from repository number `first`; kills it `after` ms after its `acks`-th
 * acknowledgement. Returns what it acknowledged. Counted in acknowledgements, not in time
 * from the first: on a loaded machine a kill 50-450 ms after the first once came before the
 * second create in every round, and no delete was ever acknowledged.
 */
function killChildAfter (statePath: string, root: string, first: number, acks: number, after: number): Promise<{ created: number[], deleted: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import=tsx', CHILD, statePath, root, String(first)], { stdio: ['ignore', 'pipe', 'pipe'] })
    const created: number[] = []
    const deleted: number[] = []
    let out = ''
    let err = ''
    let timer: NodeJS.Timeout | undefined
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      let nl: number
      while ((nl = out.indexOf('\n')) >= 0) {
        const [what, n] = out.slice(0, nl).split(' ')
        out = out.slice(nl + 1)
        ;(what === 'created' ? created : deleted).push(Number(n))
      }
      if (created.length + deleted.length >= acks) timer ??= setTimeout(() => child.kill('SIGKILL'), after)
    })
    child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      if (signal === 'SIGKILL') resolve({ created, deleted })
      else reject(new Error(`the child exited by itself (${code}): ${err}`))
    })
  })
}

t.test('killed at random points, the registry never leaves a repository half there', async (t) => {
  const dir = await tempDir(t)
  const statePath = join(dir, 'state.db')
  const root = join(dir, 'registry')
  let seed = Number(process.env.STRATUS_CRASH_SEED ?? 20261201)
  t.comment(`seed ${seed}`)
  const next = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 }
  const created = new Set<number>()
  const deleted = new Set<number>()
  for (let round = 0; round < ROUNDS; round++) {
    // At least created n, created n+1, deleted n; then a while into whatever comes next.
    const acked = await killChildAfter(statePath, root, round * 1000, 3 + Math.floor(next() * 5), Math.floor(next() * 150))
    for (const n of acked.created) created.add(n)
    for (const n of acked.deleted) deleted.add(n)
    // After an odd create is acknowledged the child deletes the one before it: that delete may
    // have been in flight at the kill (gone or there, both fine; half there is not).
    const last = acked.created.at(-1)
    const inFlightDelete = last !== undefined && last % 2 === 1 && !deleted.has(last - 1) ? last - 1 : undefined

    const store = SqliteStore.open(statePath)
    const registry = await Registry.open({ storage: { driver: 'filesystem', rootDirectory: root }, repositorySettings: new StoreRepositorySettings(store), scrubIntervalMs: 0 })
    try {
      const names = new Set((await registry.describeRepositories()).repositories.map((r) => r.repositoryName))
      const problems: string[] = []
      if (inFlightDelete !== undefined && !names.has(`r/${inFlightDelete}`)) deleted.add(inFlightDelete)
      for (const n of created) {
        const name = `r/${n}`
        if (deleted.has(n)) {
          if (names.has(name)) problems.push(`${name}: deleted (acknowledged), still there`)
          continue
        }
        if (!names.has(name)) { problems.push(`${name}: created (acknowledged), missing`); continue }
        const [repo] = (await registry.describeRepositories({ repositoryNames: [name] })).repositories
        if (repo.imageTagMutability !== 'IMMUTABLE' || repo.imageScanningConfiguration.scanOnPush !== true) problems.push(`${name}: settings not whole`)
        const tags = (await registry.listTagsForResource({ resourceArn: repo.repositoryArn })).tags
        if (tags.length !== 1 || tags[0].Value !== String(n)) problems.push(`${name}: tags ${JSON.stringify(tags)}`)
        if ((await registry.describeImages({ repositoryName: name })).imageDetails.length !== 1) problems.push(`${name}: its image is missing`)
      }
      for (const name of names) {
        const [repo] = (await registry.describeRepositories({ repositoryNames: [name] })).repositories
        if (repo.imageTagMutability !== 'IMMUTABLE') problems.push(`${name} (in flight at the kill): settings not whole`)
      }
      const deleting = store.scan<{ deleting?: true }>(REPOSITORY_SETTINGS).filter((r) => r.value.deleting === true)
      if (deleting.length > 0) problems.push(`records left deleting: ${deleting.map((r) => r.key).join(', ')}`)
      const dirs = existsSync(join(root, 'repositories/r')) ? await readdir(join(root, 'repositories/r')) : []
      for (const d of dirs) {
        const contents = await readdir(join(root, 'repositories/r', d))
        if (contents.length > 0 && !names.has(`r/${d}`)) problems.push(`r/${d}: contents (${contents.join(', ')}) without a repository`)
      }
      t.same(problems, [], `round ${round}: ${acked.created.length} creates and ${acked.deleted.length} deletes acknowledged before the kill`)
      t.ok(acked.created.length > 0, 'the child got some work done')
    } finally {
      await registry.close()
      await store.close()
    }
  }
  t.ok(deleted.size > 0, 'deletes were acknowledged, so kills landed among them')
})
