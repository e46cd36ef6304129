// ECS Exec's session tokens and the stream's handshake, on the simulated
// runner and the manual clock: a token is single use, expires on real time
// (not the engine clock), must be the session's; under auth 'iam' the
// handshake must be signed by the session's principal; every handshake is in
// the audit trail (StartSession); unknown sessions and paths are refused
// before the upgrade; ExecuteCommand refuses a non-interactive request as ECS does.
import t from 'tap'
import { ECSClient, ExecuteCommandCommand } from '@aws-sdk/client-ecs'
import { clientConfig, simulatedCloud } from '../api/clients.js'
import { execSessionsOf, EXEC_TOKEN_HEADER } from '../../../runtime/ecs/index.js'
import { ExecSessions } from '../../../runtime/ecs/exec-session.js'
import { openExecStream } from '../../../runtime/ecs/exec-stream.js'
import { setTimeout as sleep } from 'node:timers/promises'
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

  // The expiry is on real time: an hour of manual engine clock does not age a token (nor does a stopped clock keep one alive: below).
  const later = sessions.open(target)
  await cloud.clock.advance(3_600_000)
  const still = await rawWebSocket(later.streamUrl, { [EXEC_TOKEN_HEADER]: later.tokenValue })
  t.ok('frames' in still, 'engine-clock time does not expire a token')
  if ('frames' in still) await still.frames
})

// The token TTL ran on the engine clock: on a manual-clock engine (whose clock
// only moves when told) a token never expired.
t.test('a session token expires on real time, with the engine clock stopped', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const sessions = new ExecSessions({ ttlMs: 20 })
  sessions.endpoint = cloud.endpoint
  t.teardown(() => sessions.close())
  const target = { clusterName: 'default', taskId: '0'.repeat(32), taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/default/' + '0'.repeat(32), containerName: 'app', command: 'true', principal: 'arn:aws:iam::000000000000:root' }
  const fresh = sessions.open(target)
  t.notOk('refused' in sessions.take(fresh.sessionId, fresh.tokenValue), 'a fresh token takes its session')
  const old = sessions.open(target)
  const engineTime = cloud.clock.now()
  await sleep(60)
  t.equal(cloud.clock.now(), engineTime, 'the manual engine clock did not move')
  const taken = sessions.take(old.sessionId, old.tokenValue)
  t.ok('refused' in taken && /expired/.test(taken.refused), 'the token is expired after its real-time lifetime')
})

const KEY_A = { accessKeyId: 'AKIAEXECPRINCIPALAAA', secretAccessKey: 'exec/principal/a/secret/key/0000000000000' }
const KEY_B = { accessKeyId: 'AKIAEXECPRINCIPALBBB', secretAccessKey: 'exec/principal/b/secret/key/0000000000000' }

// The principal was recorded with the session but never compared at the
// handshake: anyone with the stream URL and the token got the shell, and the
// stream's start was not in the audit trail.
t.test("under auth 'iam' a session's stream opens only for its principal, and each handshake is audited", async (t) => {
  const allow = [{ policyName: 'ecs', policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ecs:*', Resource: '*' }] } }]
  const cloud = await simulatedCloud({ auth: 'iam', iam: { users: [{ userName: 'a', accessKeys: [KEY_A], policies: allow }, { userName: 'b', accessKeys: [KEY_B], policies: allow }] } })
  t.teardown(() => cloud.close())
  const sessions = execSessionsOf(cloud.engine.ecs.context)
  const a = 'arn:aws:iam::000000000000:user/a'
  const target = { clusterName: 'default', taskId: '0'.repeat(32), taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/default/' + '0'.repeat(32), containerName: 'app', command: 'true', principal: a }

  const unsigned = sessions.open(target)
  const bare = await rawWebSocket(unsigned.streamUrl, { [EXEC_TOKEN_HEADER]: unsigned.tokenValue })
  t.ok('status' in bare && bare.status === 403 && /SigV4-signed/.test(bare.body), 'an unsigned handshake with the right token: 403')

  const stolen = sessions.open(target)
  await t.rejects(openExecStream(stolen.streamUrl, stolen.tokenValue, { credentials: KEY_B }), /refused \(403\).*another principal/, "principal A's token presented by principal B: refused")
  await t.rejects(openExecStream(stolen.streamUrl, stolen.tokenValue, { credentials: KEY_A }), /refused \(403\)/, 'and spent: a leaked token is dead')

  const mine = sessions.open(target)
  const stream = await openExecStream(mine.streamUrl, mine.tokenValue, { credentials: KEY_A })
  await t.rejects(stream.exit, /1011/, 'principal A opens its own session (the task does not exist, so it closes with the reason)')

  const { Events } = await cloud.engine.audit.lookupEvents({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'StartSession' }] })
  const records = Events.map((e) => JSON.parse(e.CloudTrailEvent))
  const started = records.filter((r) => r.errorCode === undefined)
  t.equal(started.length, 1, 'one session started')
  t.match(started[0], {
    eventSource: 'ssm.amazonaws.com', eventName: 'StartSession', userIdentity: { arn: a, accessKeyId: KEY_A.accessKeyId },
    requestParameters: { target: target.taskArn, cluster: 'default', container: 'app', sessionId: mine.sessionId }, responseElements: { sessionId: mine.sessionId }
  })
  t.ok(records.some((r) => r.errorCode === 'AccessDenied' && r.userIdentity.arn === 'arn:aws:iam::000000000000:user/b'), "B's refused handshake is recorded too")
})
