// ECR lifecycle policies: validation naming the field, preview, on-demand and periodic
// expiry on the manual clock, rule priority semantics.
import t from 'tap'
import { ManualClock, eventually, pushImage, req, startRegistry } from './helpers.js'
import { evaluateLifecyclePolicy, parseLifecyclePolicy } from '../../registry/index.js'

const DAY = 24 * 3600_000
const policy = (rules: unknown[]) => JSON.stringify({ rules })
const rule = (rulePriority: number, selection: Record<string, unknown>) => ({ rulePriority, selection, action: { type: 'expire' } })

t.test('policy validation names the field and the limit; bad input changes nothing', async (t) => {
  const srv = await startRegistry()
  t.teardown(() => srv.close())
  await srv.registry.createRepository({ repositoryName: 'lc/valid' })
  const cases: Array<[string, string]> = [
    ['{', 'lifecyclePolicyText'],
    [JSON.stringify({ rules: [] }), 'lifecyclePolicyText.rules'],
    [policy([rule(0, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 })]), 'lifecyclePolicyText.rules[0].rulePriority'],
    [policy([rule(1, { tagStatus: 'tagged', countType: 'imageCountMoreThan', countNumber: 1 })]), 'lifecyclePolicyText.rules[0].selection'],
    [policy([rule(1, { tagStatus: 'untagged', tagPrefixList: ['x'], countType: 'imageCountMoreThan', countNumber: 1 })]), 'lifecyclePolicyText.rules[0].selection'],
    [policy([rule(1, { tagStatus: 'sometimes', countType: 'imageCountMoreThan', countNumber: 1 })]), 'lifecyclePolicyText.rules[0].selection.tagStatus'],
    [policy([rule(1, { tagStatus: 'any', countType: 'sinceImagePushed', countNumber: 1 })]), 'lifecyclePolicyText.rules[0].selection.countUnit'],
    [policy([rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 0 })]), 'lifecyclePolicyText.rules[0].selection.countNumber'],
    [policy([rule(1, { tagStatus: 'tagged', tagPatternList: ['*a*b*c*d*e'], countType: 'imageCountMoreThan', countNumber: 1 })]), 'lifecyclePolicyText.rules[0].selection.tagPatternList[0]'],
    [policy([rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }), rule(2, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 })]), 'lifecyclePolicyText.rules'],
    [policy([rule(1, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }), rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 })]), 'lifecyclePolicyText.rules[1].rulePriority'],
    [JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'delete' } }] }), 'lifecyclePolicyText.rules[0].action.type']
  ]
  for (const [text, field] of cases) {
    await t.rejects(srv.registry.putLifecyclePolicy({ repositoryName: 'lc/valid', lifecyclePolicyText: text }), { code: 'InvalidParameterException', field }, field)
  }
  await t.rejects(srv.registry.getLifecyclePolicy({ repositoryName: 'lc/valid' }), { code: 'LifecyclePolicyNotFoundException' }, 'nothing was stored')
})

t.test('evaluation semantics', async (t) => {
  const img = (d: string, tags: string[], daysAgo: number) => ({ imageDigest: d, imageTags: tags, imagePushedAt: 100 * DAY - daysAgo * DAY })
  const images = [
    img('sha256:p1', ['prod-1'], 10), img('sha256:p2', ['prod-2'], 8), img('sha256:p3', ['prod-3', 'stable'], 6),
    img('sha256:d1', ['dev-1'], 30), img('sha256:d2', ['dev-2'], 1),
    img('sha256:u1', [], 20), img('sha256:u2', [], 2)
  ]
  const p = parseLifecyclePolicy(policy([
    rule(1, { tagStatus: 'tagged', tagPrefixList: ['prod'], countType: 'imageCountMoreThan', countNumber: 2 }),
    rule(2, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }),
    rule(3, { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 5 })
  ]))
  const expired = evaluateLifecyclePolicy(p, images, 100 * DAY)
  t.same(expired.map((v) => [v.image.imageDigest, v.appliedRulePriority]), [
    ['sha256:p1', 1], ['sha256:u1', 2], ['sha256:d1', 3]
  ], 'kept prod images are claimed by rule 1 and never expired by rule 3')
  const both = parseLifecyclePolicy(policy([rule(1, { tagStatus: 'tagged', tagPrefixList: ['prod', 'sta'], countType: 'imageCountMoreThan', countNumber: 1 })]))
  t.same(evaluateLifecyclePolicy(both, images, 100 * DAY), [], 'a prefix list selects images having every prefix')
  const pattern = parseLifecyclePolicy(policy([rule(1, { tagStatus: 'tagged', tagPatternList: ['*-?', 'dev*'], countType: 'imageCountMoreThan', countNumber: 1 })]))
  t.same(evaluateLifecyclePolicy(pattern, [img('sha256:x', ['dev-?'], 3), img('sha256:y', ['dev-?'], 1), img('sha256:z', ['dev-1'], 9)], 100 * DAY).map((v) => v.image.imageDigest), ['sha256:x'])
})

t.test('preview, on-demand and periodic expiry with the manual clock', async (t) => {
  const clock = new ManualClock()
  const srv = await startRegistry({ clock, lifecycleIntervalMs: DAY, uploadPurgeIntervalMs: 0 })
  t.teardown(() => srv.close())
  const u = srv.url
  const reg = srv.registry
  const pushed: Record<string, string> = {}
  for (const [tag, seed] of [['v1', 'a'], ['v2', 'b'], ['v3', 'c'], ['v4', 'd']]) {
    pushed[tag] = (await pushImage(u, 'lc/app', tag, seed)).digest
    clock.advance(DAY / 4)
  }
  const untagged = (await pushImage(u, 'lc/app', 'scratch', 'e')).digest
  await req(u, 'DELETE', '/v2/lc/app/manifests/scratch')
  const text = policy([
    rule(1, { tagStatus: 'tagged', tagPrefixList: ['v'], countType: 'imageCountMoreThan', countNumber: 2 }),
    rule(2, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 3 })
  ])
  const put = await reg.putLifecyclePolicy({ repositoryName: 'lc/app', lifecyclePolicyText: text })
  t.equal(put.lifecyclePolicyText, text)

  const preview = await reg.getLifecyclePolicyPreview({ repositoryName: 'lc/app' })
  t.equal(preview.status, 'COMPLETE')
  t.same(preview.previewResults.map((r) => [r.imageTags, r.imageDigest, r.appliedRulePriority, r.action.type]), [
    [['v2'], pushed.v2, 1, 'EXPIRE'], [['v1'], pushed.v1, 1, 'EXPIRE']
  ])
  t.equal(preview.summary.expiringImageTotalCount, 2)
  t.ok(preview.previewResults[0].imagePushedAt instanceof Date)
  t.equal((await reg.describeImages({ repositoryName: 'lc/app' })).imageDetails.length, 5, 'a preview expires nothing')

  // The periodic evaluation runs on the engine's clock.
  clock.advance(DAY)
  await eventually(async () => (await reg.listTags({ repositoryName: 'lc/app' })).join() === 'v3,v4', 'periodic expiry of v1 and v2')
  t.equal((await req(u, 'GET', `/v2/lc/app/manifests/${pushed.v1}`)).status, 404)
  t.ok((await reg.getLifecyclePolicy({ repositoryName: 'lc/app' })).lastEvaluatedAt instanceof Date)
  t.ok((await reg.describeImages({ repositoryName: 'lc/app', filter: { tagStatus: 'UNTAGGED' } })).imageDetails.some((d) => d.imageDigest === untagged), 'the untagged image is younger than 3 days')

  clock.advance(3 * DAY)
  await eventually(async () => (await reg.describeImages({ repositoryName: 'lc/app', filter: { tagStatus: 'UNTAGGED' } })).imageDetails.length === 0, 'the untagged image expires once older than 3 days')

  // A policy text can be previewed without being stored; applying on demand returns what went.
  const onlyOne = policy([rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 })])
  const dry = await reg.getLifecyclePolicyPreview({ repositoryName: 'lc/app', lifecyclePolicyText: onlyOne })
  t.same(dry.previewResults.map((r) => r.imageTags), [['v3']])
  t.equal((await reg.getLifecyclePolicy({ repositoryName: 'lc/app' })).lifecyclePolicyText, text)
  await reg.putLifecyclePolicy({ repositoryName: 'lc/app', lifecyclePolicyText: onlyOne })
  const applied = await reg.applyLifecyclePolicy({ repositoryName: 'lc/app' })
  t.same(applied.previewResults.map((r) => r.imageDigest), [pushed.v3])
  t.same(await reg.listTags({ repositoryName: 'lc/app' }), ['v4'])
  await reg.deleteLifecyclePolicy({ repositoryName: 'lc/app' })
  await t.rejects(reg.getLifecyclePolicyPreview({ repositoryName: 'lc/app' }), { code: 'LifecyclePolicyNotFoundException' })
})
