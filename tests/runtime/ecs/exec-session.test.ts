// ECS Exec's session tokens and the stream's handshake, on the simulated
// runner and the manual clock: a token is single use, expires on the engine
// clock, must be the session's; unknown sessions and paths are refused before
// the upgrade; ExecuteCommand refuses a non-interactive request as ECS does.
import t from 'tap'
import { ECSClient, ExecuteCommandCommand } from '@aws-sdk/client-ecs'
import { clientConfig, simulatedCloud } from '../api/clients.js'
import { execSessionsOf, EXEC_TOKEN_HEADER } from '../../../runtime/ecs/index.js'
import { closeOf, rawWebSocket } from './ws-client.js'

t.test('exec sessions: refusals, single use, expiry', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const ecs = new ECSClient(clientConfig(cloud))
  t.teardown(() => ecs.destroy())

  const refused = await ecs.send(new ExecuteCommandCommand({ task: 'abc', command: 'sh', interactive: false })).catch((e: Error) => e) as Error
  t.equal(refused.name, 'InvalidParameterException', 'interactive false: InvalidParameterException')
  t.match(refused.message, /Interactive is the only mode supported currently/)

  const sessions = execSessionsOf(cloud.engine.ecs.context)
  const target = { clusterName: 'default', taskId: '0'.repeat(32), taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/default/' + '0'.repeat(32), containerName: 'app', command: 'true', principal: 'arn:aws:iam::000000000000:root' }

  const other = await rawWebSocket(`ws://${cloud.endpoint}/not-exec`)
  t.ok('status' in other && other.status === 404, 'another path: 404')
  const unknown = await rawWebSocket(`ws://${cloud.endpoint}/stratus/exec/ecs-execute-command-nope`, { [EXEC_TOKEN_HEADER]: 'x' })
  t.ok('status' in unknown && unknown.status === 403 && /AccessDeniedException/.test(unknown.body), 'an unknown session: 403 AccessDeniedException')

  const session = sessions.open(target)
  t.match(session.streamUrl, new RegExp(`^ws://${cloud.endpoint}/stratus/exec/ecs-execute-command-[0-9a-f]+$`), 'the stream URL is on the engine endpoint')
  const wrong = await rawWebSocket(session.streamUrl, { [EXEC_TOKEN_HEADER]: Buffer.alloc(32).toString('base64url') })
  t.ok('status' in wrong && wrong.status === 403, 'a wrong token: 403')
  const none = await rawWebSocket(session.streamUrl)
  t.ok('status' in none && none.status === 403, 'no token: 403')

  // The right token still takes the session (the wrong ones spent nothing); the task does not exist, so the stream closes with the reason.
  const opened = await rawWebSocket(session.streamUrl, { [EXEC_TOKEN_HEADER]: session.tokenValue })
  t.ok('frames' in opened, 'the right token opens the stream')
  if ('frames' in opened) {
    const close = closeOf(await opened.frames)
    t.equal(close?.code, 1011, 'a session that cannot run closes with 1011')
    t.ok((close?.reason.length ?? 0) > 0, `with its reason: ${close?.reason}`)
  }
  const again = await rawWebSocket(session.streamUrl, { [EXEC_TOKEN_HEADER]: session.tokenValue })
  t.ok('status' in again && again.status === 403, 'the token is single use: a second handshake is refused')

  const late = sessions.open(target)
  await cloud.clock.advance(60_000)
  const expired = await rawWebSocket(late.streamUrl, { [EXEC_TOKEN_HEADER]: late.tokenValue })
  t.ok('status' in expired && expired.status === 403 && /expired|used|never/.test(expired.body), 'a token 60 s old (engine clock) is refused')
})
