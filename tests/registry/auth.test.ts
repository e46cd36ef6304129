// Authentication: off by default; when on, Basic users and ECR-style AWS:<token> tokens
// (12 hours of clock time), 401 with WWW-Authenticate, anonymous pull per repository,
// and the real docker CLI logging in with a token.
import t from 'tap'
import { join } from 'node:path'
import { ManualClock, errorCodes, pushImage, req, requireTool, run, startRegistry, tempDir } from './helpers.js'

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

t.test('auth off: anonymous clients push and pull', async (t) => {
  const srv = await startRegistry()
  t.teardown(() => srv.close())
  t.equal((await req(srv.url, 'GET', '/v2/')).status, 200)
  await pushImage(srv.url, 'open/app', 'v1')
  t.equal((await req(srv.url, 'GET', '/v2/open/app/manifests/v1')).status, 200)
})

t.test('auth on', async (t) => {
  const clock = new ManualClock()
  const srv = await startRegistry({ clock, auth: { enabled: true, users: { alice: 's3cret' } }, lifecycleIntervalMs: 0, uploadPurgeIntervalMs: 0 })
  t.teardown(() => srv.close())
  const u = srv.url
  const reg = srv.registry

  const anon = await req(u, 'GET', '/v2/')
  t.equal(anon.status, 401)
  t.equal(anon.headers['www-authenticate'], `Bearer realm="http://${srv.host}/v2/token",service="stratus-registry"`)
  t.same(errorCodes(anon), ['UNAUTHORIZED'])
  t.equal((await req(u, 'GET', '/v2/', { headers: { authorization: basic('alice', 'wrong') } })).status, 401)
  t.equal((await req(u, 'GET', '/v2/', { headers: { authorization: basic('bob', 's3cret') } })).status, 401)
  t.equal((await req(u, 'GET', '/v2/', { headers: { authorization: basic('alice', 's3cret') } })).status, 200)
  t.equal((await req(u, 'POST', '/v2/auth/app/blobs/uploads/')).status, 401, 'anonymous push is refused')
  t.equal((await req(u, 'GET', '/v2/_catalog')).status, 401)

  const { authorizationData } = reg.getAuthorizationToken()
  const [data] = authorizationData
  t.equal(data.proxyEndpoint, `http://${srv.host}`)
  t.equal(data.expiresAt.getTime(), clock.now() + 12 * 3600_000, 'tokens last 12 hours')
  const decoded = Buffer.from(data.authorizationToken, 'base64').toString()
  t.match(decoded, /^AWS:/)
  const token = decoded.slice(4)
  const asToken = { authorization: basic('AWS', token) }
  t.equal((await req(u, 'GET', '/v2/', { headers: asToken })).status, 200)
  t.equal((await req(u, 'GET', '/v2/', { headers: { authorization: `Bearer ${token}` } })).status, 200)
  t.equal((await req(u, 'GET', '/v2/', { headers: { authorization: basic('AWS', token.slice(0, -2) + 'xx') } })).status, 401, 'a tampered token is refused')

  // push with the token, through raw requests
  const post = await req(u, 'POST', '/v2/auth/app/blobs/uploads/?digest=sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824', { headers: asToken, body: 'hello' })
  t.equal(post.status, 201)

  // anonymous pull, per repository
  await reg.createRepository({ repositoryName: 'auth/public', allowAnonymousPull: true })
  const pushAs = async (repo: string) => {
    const blob = await req(u, 'POST', `/v2/${repo}/blobs/uploads/?digest=sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824`, { headers: asToken, body: 'hello' })
    t.equal(blob.status, 201)
  }
  await pushAs('auth/public')
  await pushAs('auth/private')
  const blobPath = (repo: string) => `/v2/${repo}/blobs/sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824`
  t.equal((await req(u, 'GET', blobPath('auth/public'))).status, 200, 'anonymous pull from a public repository')
  t.equal((await req(u, 'GET', blobPath('auth/private'))).status, 401, 'but not from a private one')
  t.equal((await req(u, 'DELETE', blobPath('auth/public'))).status, 401, 'anonymous writes stay refused')
  await reg.setAnonymousPull({ repositoryName: 'auth/public', allowAnonymousPull: false })
  t.equal((await req(u, 'GET', blobPath('auth/public'))).status, 401, 'the switch takes effect')

  // expiry on the registry clock
  clock.advance(12 * 3600_000 - 1000)
  t.equal((await req(u, 'GET', '/v2/', { headers: asToken })).status, 200, 'still valid just before 12 hours')
  clock.advance(2000)
  t.equal((await req(u, 'GET', '/v2/', { headers: asToken })).status, 401, 'expired after 12 hours')
})

t.test('tokens stay valid across a restart (filesystem)', async (t) => {
  const dir = await tempDir(t)
  const options = { storage: { driver: 'filesystem' as const, rootDirectory: dir }, auth: { enabled: true } }
  let srv = await startRegistry(options)
  const token = Buffer.from(srv.registry.getAuthorizationToken().authorizationData[0].authorizationToken, 'base64').toString().slice(4)
  await srv.close()
  srv = await startRegistry(options)
  t.teardown(() => srv.close())
  t.equal((await req(srv.url, 'GET', '/v2/', { headers: { authorization: basic('AWS', token) } })).status, 200)
})

t.test('docker login with an authorization token, then push and pull', async (t) => {
  await requireTool('docker', 'busybox')
  const srv = await startRegistry({ auth: { enabled: true } })
  t.teardown(() => srv.close())
  const dockerConfig = await tempDir(t, 'stratus-docker-config-')
  const env = { ...process.env, DOCKER_CONFIG: dockerConfig }
  const ctx = await tempDir(t, 'stratus-docker-ctx-')
  await run('cp', ['/bin/busybox', join(ctx, 'busybox')])
  await run('sh', ['-c', `printf 'FROM scratch\\nCOPY busybox /bin/busybox\\nCMD ["/bin/busybox","echo","authenticated"]\\n' > ${join(ctx, 'Dockerfile')}`])
  const image = `${srv.host}/auth/docker:1`
  await run('docker', ['build', '-q', '-t', image, ctx], { env: { ...env, DOCKER_BUILDKIT: '0' } })
  t.teardown(() => run('docker', ['rmi', '-f', image]).catch(() => undefined))
  const denied = await run('docker', ['push', image], { env }).then(() => 'pushed', (err) => String(err.stderr))
  t.match(denied, /denied/i, 'anonymous docker push is refused')
  const password = Buffer.from(srv.registry.getAuthorizationToken().authorizationData[0].authorizationToken, 'base64').toString().slice(4)
  const login = await run('sh', ['-c', `printf '%s' "$PW" | docker login -u AWS --password-stdin ${srv.host}`], { env: { ...env, PW: password } })
  t.match(login.stdout, /Login Succeeded/)
  await run('docker', ['push', image], { env })
  await run('docker', ['rmi', '-f', image])
  await run('docker', ['pull', image], { env })
  const out = await run('docker', ['run', '--rm', '--network', 'none', image])
  t.equal(out.stdout.trim(), 'authenticated')

  // Anonymous docker pulls: from a repository that allows them, and not from the others.
  await srv.registry.setAnonymousPull({ repositoryName: 'auth/docker', allowAnonymousPull: true })
  const anonymousEnv = { ...process.env, DOCKER_CONFIG: await tempDir(t, 'stratus-docker-anon-') }
  await run('docker', ['rmi', '-f', image])
  await run('docker', ['pull', image], { env: anonymousEnv })
  t.equal((await run('docker', ['run', '--rm', '--network', 'none', image])).stdout.trim(), 'authenticated', 'anonymous pull from a public repository')
  await srv.registry.setAnonymousPull({ repositoryName: 'auth/docker', allowAnonymousPull: false })
  await run('docker', ['rmi', '-f', image])
  const refused = await run('docker', ['pull', image], { env: anonymousEnv }).then(() => 'pulled', (err) => String(err.stderr))
  t.match(refused, /denied|unauthorized/i, 'anonymous pull from a private repository is refused')
})

t.test('the token endpoint (distribution token flow)', async (t) => {
  const srv = await startRegistry({ auth: { enabled: true, users: { alice: 's3cret' } } })
  t.teardown(() => srv.close())
  const u = srv.url
  await srv.registry.createRepository({ repositoryName: 'tok/public', allowAnonymousPull: true })
  await srv.registry.createRepository({ repositoryName: 'tok/private' })
  const challenge = (await req(u, 'GET', '/v2/tok/private/tags/list')).headers['www-authenticate']
  t.equal(challenge, `Bearer realm="http://${srv.host}/v2/token",service="stratus-registry",scope="repository:tok/private:pull"`)
  const anon = await req(u, 'GET', '/v2/token?service=stratus-registry&scope=repository:tok/public:pull&scope=repository:tok/private:pull')
  t.equal(anon.status, 200)
  const anonToken = anon.json().token
  t.equal(anon.json().access_token, anonToken)
  t.equal(anon.json().expires_in, 12 * 3600)
  const bearer = { authorization: `Bearer ${anonToken}` }
  t.equal((await req(u, 'GET', '/v2/tok/public/tags/list', { headers: bearer })).status, 200, 'granted: pull from the public repository')
  const denied = await req(u, 'GET', '/v2/tok/private/tags/list', { headers: bearer })
  t.equal(denied.status, 403, 'not granted: the private repository')
  t.same(errorCodes(denied), ['DENIED'])
  t.equal((await req(u, 'POST', '/v2/tok/public/blobs/uploads/', { headers: bearer })).status, 403, 'an anonymous grant never pushes')
  t.equal((await req(u, 'GET', '/v2/token?scope=repository:tok/private:pull', { headers: { authorization: basic('alice', 'nope') } })).status, 401, 'bad credentials get no token')
  const full = (await req(u, 'GET', '/v2/token?scope=repository:tok/private:pull,push', { headers: { authorization: basic('alice', 's3cret') } })).json().token
  t.equal((await req(u, 'GET', '/v2/tok/private/tags/list', { headers: { authorization: `Bearer ${full}` } })).status, 200, 'credentials get a full token')
})
