// Stratus.connect signs for the engine's own region when none is given: an
// engine started in eu-west-1 refuses requests scoped to another region, so a
// client that assumed us-east-1 would fail every Batch and ECR call.
import t from 'tap'
import { Stratus } from '../../sdk/index.js'

t.test('connect without a region signs for the engine\'s region (from /health)', async (t) => {
  const cloud = await Stratus.embedded({ runner: 'simulated', region: 'eu-west-1', auth: 'iam' })
  t.teardown(() => cloud.close())
  const remote = await Stratus.connect(`http://${cloud.endpoint}`)
  t.teardown(() => remote.close())
  const queues = await remote.batch.service.describeJobQueues({})
  t.same(queues.jobQueues, [], 'Batch answers: the request was scoped to eu-west-1')
  const repo = await remote.registry.repository('region/app').create()
  t.match(repo.repositoryArn, /^arn:aws:ecr:eu-west-1:/, 'ECR too')

  const wrong = await Stratus.connect(`http://${cloud.endpoint}`, { region: 'us-east-1' })
  t.teardown(() => wrong.close())
  await t.rejects(wrong.batch.service.describeJobQueues({}), { name: 'AccessDeniedError' }, 'a region given explicitly is used as given (and refused here)')
})
