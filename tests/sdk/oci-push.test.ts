// The remote SDK's image push: the image builder over the OCI distribution API
// (/v2/) of a real engine, with the registry's token flow when auth is on, and
// its errors as the RegistryErrors the embedded push throws.
import t, { type Test } from 'tap'
import { Stratus, RegistryError } from '../../sdk/index.js'
import { ImageBuilder } from '../../runtime/index.js'
import { WireClient } from '../../sdk/remote/wire.js'
import { OciTarget } from '../../sdk/remote/oci-target.js'

async function setUp(t: Test, auth: boolean) {
  const cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated', registry: { auth: { enabled: auth } } })
  const wire = new WireClient(`http://${cloud.endpoint}`, { credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, region: 'us-east-1' })
  let tokens = 0
  // The ECR token the remote SDK asks GetAuthorizationToken for; here from the engine's registry itself.
  const target = new OciTarget(wire, async () => { tokens++; return (await cloud.registry.authorizationToken()).authorizationToken })
  t.teardown(async () => { await wire.close(); await cloud.close() })
  return { cloud, target, tokens: () => tokens }
}

t.test('an image pushed over /v2/ with registry auth on: token flow once, layers, base layers mounted, manifest', async (t) => {
  const { cloud, target, tokens } = await setUp(t, true)
  const local = await cloud.registry.image('base/os:1').fromScratch().addContent('base', '/etc/base').push()
  const pushed = await ImageBuilder.create(target, 'team/app:1').from('base/os:1').addContent('hello', '/hello').cmd(['/hello']).push()
  t.equal(tokens(), 1, 'one ECR token traded for a bearer token, then reused')
  t.equal(pushed.layers[0].digest, local.layers[0].digest, 'the base layer was mounted from base/os')
  t.equal(pushed.imageUri, `${cloud.endpoint}/team/app:1`)
  const [image] = await cloud.registry.repository('team/app').images()
  t.equal(image.imageDigest, pushed.imageDigest, 'the registry holds the manifest under its digest')
  t.equal(image.imageSizeInBytes, pushed.imageSizeInBytes)
  const same = await cloud.registry.image('team/app:1b').from('base/os:1').addContent('hello', '/hello').cmd(['/hello']).push()
  t.equal(same.imageDigest, pushed.imageDigest, 'the same image built locally has the same digest')
})

t.test('push errors over /v2/ are the RegistryErrors of the embedded push', async (t) => {
  const { cloud, target } = await setUp(t, false)
  await cloud.registry.repository('team/fixed').create({ tagMutability: 'IMMUTABLE' })
  await ImageBuilder.create(target, 'team/fixed:1').fromScratch().addContent('one', '/v').push()
  const over = ImageBuilder.create(target, 'team/fixed:1').fromScratch().addContent('two', '/v').push()
  await t.rejects(over, { name: 'RegistryError', code: 'ImageTagAlreadyExistsException', kind: 'Conflict', field: 'imageTag' })
  const error = await over.catch((e: unknown) => e)
  t.ok(error instanceof RegistryError)
  await t.rejects(ImageBuilder.create(target, 'team/app:1').from('base/missing:1').addContent('x', '/x').push(), { name: 'RegistryError', kind: 'NotFound' })
})
