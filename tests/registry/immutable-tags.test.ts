// Tag mutability: a push over an immutable tag is refused (TAG_INVALID 400 on the wire, as
// ECR answers; ImageTagAlreadyExistsException through the API); re-pushing the same digest
// is fine.
import t from 'tap'
import { errorCodes, pushImage, req, startRegistry } from './helpers.js'

t.test('immutable tags', async (t) => {
  const srv = await startRegistry()
  t.teardown(() => srv.close())
  const u = srv.url
  const reg = srv.registry
  await reg.createRepository({ repositoryName: 'imm/app', imageTagMutability: 'IMMUTABLE' })
  const first = await pushImage(u, 'imm/app', 'v1', 'first')
  const second = await pushImage(u, 'imm/app', 'v2', 'second')

  const overwrite = await req(u, 'PUT', '/v2/imm/app/manifests/v1', { headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: second.manifest })
  t.equal(overwrite.status, 400)
  t.same(errorCodes(overwrite), ['TAG_INVALID'])
  t.equal(overwrite.json().errors[0].message, "The image tag 'v1' already exists in the 'imm/app' repository and cannot be overwritten because the tag is immutable.")
  t.equal((await req(u, 'GET', '/v2/imm/app/manifests/v1')).headers['docker-content-digest'], first.digest, 'the tag did not move')

  const same = await req(u, 'PUT', '/v2/imm/app/manifests/v1', { headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: first.manifest })
  t.equal(same.status, 201, 'pushing the same content again is not an overwrite')
  const byDigest = await req(u, 'PUT', `/v2/imm/app/manifests/${second.digest}`, { headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: second.manifest })
  t.equal(byDigest.status, 201, 'digest references are never refused')

  await t.rejects(reg.putImage({ repositoryName: 'imm/app', imageManifest: second.manifest.toString(), imageTag: 'v1' }), { code: 'ImageTagAlreadyExistsException', field: 'imageTag' })

  await reg.putImageTagMutability({ repositoryName: 'imm/app', imageTagMutability: 'MUTABLE' })
  const moved = await req(u, 'PUT', '/v2/imm/app/manifests/v1', { headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: second.manifest })
  t.equal(moved.status, 201, 'a mutable repository lets the tag move')
  t.equal((await req(u, 'GET', '/v2/imm/app/manifests/v1')).headers['docker-content-digest'], second.digest)
  await t.rejects(reg.putImageTagMutability({ repositoryName: 'imm/app', imageTagMutability: 'SOMETIMES' as never }), { code: 'InvalidParameterException', field: 'imageTagMutability' })
})
