// Principal-bound tokens and the authorize and audit hooks: with auth on, /v2/ requests made with a
// token GetAuthorizationToken bound to an IAM principal are put to `authorize` as ECR
// actions with the repository's policy; a denial is OCI DENIED (403) with its message.
// Checked with the real skopeo, the hook a small resource-policy evaluator.
import t from 'tap'
import type { RegistryAuthorizationRequest, RegistryDecision, RegistryRequestEvent } from '../../registry/index.js'
import { errorCodes, req, requireTool, run, startRegistry } from './helpers.js'

const ALICE = 'arn:aws:iam::000000000000:user/alice'
const BOB = 'arn:aws:iam::000000000000:user/bob'

/** Allowed when a statement of the repository policy allows the principal the action (ecr:* wildcards); deny wins. */
function repositoryPolicy (seen: RegistryAuthorizationRequest[]) {
  return (r: RegistryAuthorizationRequest): RegistryDecision => {
    seen.push(r)
    const doc = r.policyText === undefined ? { Statement: [] } : JSON.parse(r.policyText) as { Statement: Array<{ Effect: string, Principal: { AWS: string | string[] }, Action: string | string[] }> }
    const applies = (s: (typeof doc.Statement)[number]) => [s.Principal.AWS].flat().includes(r.principal) &&
      [s.Action].flat().some((a) => a === r.action || (a.endsWith('*') && r.action.startsWith(a.slice(0, -1))))
    const matching = doc.Statement.filter(applies)
    if (matching.some((s) => s.Effect === 'Deny') || !matching.some((s) => s.Effect === 'Allow')) {
      return { allowed: false, message: `User: ${r.principal} is not authorized to perform: ${r.action} on resource: ${r.repositoryArn}` }
    }
    return { allowed: true }
  }
}

t.test('a repository policy decides per principal on /v2/, for skopeo as for plain requests', async (t) => {
  await requireTool('skopeo')
  const seen: RegistryAuthorizationRequest[] = []
  const srv = await startRegistry({ auth: { enabled: true }, authorize: repositoryPolicy(seen) })
  t.teardown(() => srv.close())
  const reg = srv.registry
  await reg.createRepository({ repositoryName: 'team/app' })
  await reg.setRepositoryPolicy({
    repositoryName: 'team/app',
    policyText: JSON.stringify({ Version: '2012-10-17', Statement: [
      { Effect: 'Allow', Principal: { AWS: [ALICE] }, Action: 'ecr:*' },
      { Effect: 'Allow', Principal: { AWS: BOB }, Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'] }
    ] })
  })
  const pushed = await reg.image('team/app:v1').fromScratch().addContent('hello\n', '/etc/motd').push()
  const tokenOf = (principal?: string) => Buffer.from(reg.getAuthorizationToken(principal ? { principal } : {}).authorizationData[0].authorizationToken, 'base64').toString().slice(4)
  const creds = (principal?: string) => `--creds=AWS:${tokenOf(principal)}`
  const copyAs = (principal: string) => [`--src-creds=AWS:${tokenOf(principal)}`, `--dest-creds=AWS:${tokenOf(principal)}`]

  // Bob may pull, not push.
  const inspect = JSON.parse((await run('skopeo', ['inspect', '--tls-verify=false', creds(BOB), `docker://${srv.host}/team/app:v1`])).stdout)
  t.equal(inspect.Digest, pushed.imageDigest, 'bob pulls')
  t.ok(seen.some((r) => r.principal === BOB && r.action === 'ecr:BatchGetImage' && r.repositoryName === 'team/app' && r.policyText !== undefined))
  const bobPush = await run('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', ...copyAs(BOB), `docker://${srv.host}/team/app:v1`, `docker://${srv.host}/team/app:v2`])
    .then(() => undefined, (err: { stderr: string }) => err.stderr)
  t.match(bobPush, /denied|not authorized/i, 'bob may not push')
  t.equal((await req(srv.url, 'GET', '/v2/team/app/manifests/v2', { headers: { authorization: `Bearer ${tokenOf()}` } })).status, 404, 'nothing was pushed')

  // Alice may push.
  await run('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', ...copyAs(ALICE), `docker://${srv.host}/team/app:v1`, `docker://${srv.host}/team/app:v2`])
  t.ok(seen.some((r) => r.principal === ALICE && r.action === 'ecr:PutImage'))

  // Carol, who has no statement, is denied with the hook's message; an unbound token is not asked.
  const carol = await req(srv.url, 'GET', '/v2/team/app/manifests/v1', { headers: { authorization: `Bearer ${tokenOf('arn:aws:iam::000000000000:user/carol')}` } })
  t.equal(carol.status, 403)
  t.same(errorCodes(carol), ['DENIED'])
  t.match(carol.body.toString(), /user\/carol is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:000000000000:repository\/team\/app/)
  const before = seen.length
  t.equal((await req(srv.url, 'GET', '/v2/team/app/manifests/v1', { headers: { authorization: `Bearer ${tokenOf()}` } })).status, 200)
  t.equal(seen.length, before, 'an unbound token (the registry\'s own) is not put to the hook')
  t.throws(() => reg.getAuthorizationToken({ principal: 'alice' }), { code: 'InvalidParameterException', field: 'principal' })
})

t.test('the hooks see where a request came from and the repository\'s tags; audit is told once per request, allowed or denied', async (t) => {
  const asked: RegistryAuthorizationRequest[] = []
  const told: RegistryRequestEvent[] = []
  const srv = await startRegistry({
    auth: { enabled: true },
    authorize: (r) => { asked.push(r); return r.principal === ALICE ? { allowed: true } : { allowed: false, message: `${r.principal} may not` } },
    audit: (e) => { told.push(e) }
  })
  t.teardown(() => srv.close())
  const reg = srv.registry
  await reg.createRepository({ repositoryName: 'team/app', tags: [{ Key: 'env', Value: 'prod' }] })
  const bearer = (principal?: string) => `Bearer ${Buffer.from(reg.getAuthorizationToken(principal ? { principal } : {}).authorizationData[0].authorizationToken, 'base64').toString().slice(4)}`
  const as = (principal: string | undefined, method: string, path: string, body?: string) =>
    req(srv.url, method, path, { headers: { authorization: bearer(principal), 'user-agent': 'test-agent/1' }, ...(body !== undefined ? { body } : {}) })

  t.equal((await as(BOB, 'GET', '/v2/team/app/tags/list')).status, 403)
  t.match(asked[0], { principal: BOB, action: 'ecr:ListImages', sourceIp: '127.0.0.1', userAgent: 'test-agent/1', repositoryTags: { env: 'prod' } })
  t.match(told, [{ principal: BOB, action: 'ecr:ListImages', readOnly: true, sourceIp: '127.0.0.1', userAgent: 'test-agent/1', requestParameters: { repositoryName: 'team/app' }, error: { code: 'DENIED' } }])

  // A chunked upload: each request reported once, with what the handler answered.
  told.length = 0
  const started = await as(ALICE, 'POST', '/v2/team/app/blobs/uploads/')
  t.equal(started.status, 202)
  const location = String(started.headers.location)
  t.equal((await as(ALICE, 'PATCH', location, 'part one ')).status, 202)
  t.equal((await as(ALICE, 'PATCH', location, 'part two')).status, 202)
  t.equal((await as(ALICE, 'GET', '/v2/team/app/manifests/missing')).status, 404)
  t.same(told.map((e) => [e.action, e.error === undefined ? 'ok' : (e.error as { code: string }).code]),
    [['ecr:InitiateLayerUpload', 'ok'], ['ecr:UploadLayerPart', 'ok'], ['ecr:UploadLayerPart', 'ok'], ['ecr:BatchGetImage', 'MANIFEST_UNKNOWN']])
  t.same(told[3].requestParameters, { repositoryName: 'team/app', imageIds: [{ imageTag: 'missing' }] })

  told.length = 0
  t.equal((await as(undefined, 'GET', '/v2/team/app/tags/list')).status, 200)
  t.same(told, [], 'an unbound token (the registry\'s own) is not reported')
})
