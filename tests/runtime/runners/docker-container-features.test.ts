// ECS's container features on real Docker containers, one runner for all:
// Docker's own health checks (HEALTHY and UNHEALTHY read back), dependsOn
// HEALTHY, a task volume shared by two containers, volumesFrom read-only,
// dockerLabels, user / workingDirectory / ulimits / readonlyRootFilesystem /
// init; per-container stop timeouts, every log line in its file when exited()
// fires, ephemeral storage and task volumes gone, shared volumes kept.
import t from 'tap'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { observer, logLines, until } from './conformance-kit.js'
import { container, dockerInspect, dockerPs, dockerReady, dockerRunner, run, sandbox, tempDir } from './docker-kit.js'

await dockerReady()

const LONG = 'exec sleep 60'

const volumesOf = async (label: string) => (await run('docker', ['volume', 'ls', '-q', '--filter', `label=${label}`])).stdout.split('\n').filter((l) => l !== '')

t.test('docker container features', async (t) => {
  // A long runner grace: a container's own stopTimeoutSeconds must be what ends it sooner.
  const { runner } = await dockerRunner(t, 'features', { graceMs: 60_000 })
  const dir = await tempDir(t)
  const shared = `stratus-test-shared-${process.pid}-${Date.now()}`
  t.teardown(() => run('docker', ['volume', 'rm', '-f', shared]).catch(() => {}))

  // --- health, dependsOn HEALTHY, volumes, volumesFrom, labels and the container settings: one sandbox ---
  const check = { intervalSeconds: 5, startPeriodSeconds: 10 }
  const features = sandbox([
    container(dir, 'db', {
      script: `echo hello > /data/greeting; touch /tmp/ready; ${LONG}`,
      volumes: [{ volume: 'data', containerPath: '/data' }],
      healthCheck: { command: ['CMD-SHELL', 'test -f /tmp/ready'], ...check }
    }),
    container(dir, 'app', {
      script: `cat /data/greeting; { (echo x > /data/other) 2>/dev/null && echo writable || echo read-only; }; { (touch /tmp/x) 2>/dev/null && echo rw-root || echo ro-root; }; ${LONG}`,
      readonlyRootFilesystem: true,
      dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }],
      volumesFrom: [{ sourceContainer: 'db', readOnly: true }]
    }),
    container(dir, 'sick', { essential: false, script: LONG, healthCheck: { command: ['CMD', 'false'], intervalSeconds: 5, retries: 1 } }),
    container(dir, 'cfg', {
      essential: false, user: '1000:1000', workingDirectory: '/bin', initProcessEnabled: true,
      ulimits: [{ name: 'nofile', softLimit: 1234, hardLimit: 2345 }], dockerLabels: { team: 'blue' },
      script: `id -u; pwd; ulimit -n; ulimit -Hn; cat /proc/1/comm; ${LONG}`
    }),
    container(dir, 'noinit', { essential: false, initProcessEnabled: false, stopTimeoutSeconds: 1, // PID 1 without a handler ignores SIGTERM
      script: `cat /proc/1/comm; ${LONG}` })
  ])
  const seen = observer()
  runner.start(features, seen.listener)
  const info = await seen.running
  t.match(info.containers, [{ name: 'db', state: 'running', health: 'UNKNOWN' }, { name: 'app', state: 'starting' }, { name: 'sick', health: 'UNKNOWN' }, { name: 'cfg' }],
    'running() once those without dependsOn run; app waits')
  await until(() => runner.inspect(features.id)?.containers[1].state === 'running' && runner.inspect(features.id)?.containers[2].health === 'UNHEALTHY')
  const now = runner.inspect(features.id)!
  t.match(now.containers, [{ name: 'db', health: 'HEALTHY' }, { name: 'app', state: 'running' }, { name: 'sick', health: 'UNHEALTHY', state: 'running' }, {}, {}])
  const order = seen.changes.map((i) => `${i.containers[0].health}/${i.containers[1].state}`)
  t.ok(order.indexOf('HEALTHY/starting') >= 0 && order.indexOf('HEALTHY/starting') < order.indexOf('HEALTHY/running'), 'changed(): db HEALTHY, then app started')
  await until(async () => (await logLines(features.containers[1].logPath)).length >= 3 && (await logLines(features.containers[3].logPath)).length >= 5 && (await logLines(features.containers[4].logPath)).length >= 1)
  t.same(await logLines(features.containers[1].logPath), ['hello', 'read-only', 'ro-root'], 'the task volume is shared; volumesFrom read-only; a read-only root')
  t.same(await logLines(features.containers[3].logPath), ['1000', '/bin', '1234', '2345', 'docker-init'], 'user, workingDirectory, ulimits, init')
  t.same(await logLines(features.containers[4].logPath), ['sh'], 'initProcessEnabled false: the command is PID 1')
  const cfgId = now.containers[3].runtimeId!
  t.equal((await dockerInspect(cfgId)).Config.Labels.team, 'blue', 'dockerLabels on the container')
  t.match((await dockerInspect(now.containers[0].runtimeId!)).Config.Healthcheck, { Test: ['CMD-SHELL', 'test -f /tmp/ready'], Interval: 5e9, Retries: 3, StartPeriod: 10e9 })
  const taskVolumes = await volumesOf(`stratus.sandbox=${features.id}`)
  t.equal(taskVolumes.length, 1, 'one task volume for the two containers')

  // --- stop timeouts, logs complete at exit, ephemeral storage, task volume removal: a second sandbox meanwhile ---
  const chatty = sandbox([
    container(dir, 'main', { script: 'i=0; while [ $i -lt 10000 ]; do echo "line $i"; i=$((i+1)); done' }),
    container(dir, 'stubborn', {
      essential: false, stopTimeoutSeconds: 1, script: 'trap "" TERM; while :; do sleep 1; done',
      volumes: [{ volume: 'scratch', containerPath: '/scratch' }, { volume: shared, containerPath: '/shared', scope: 'shared', autoprovision: true }]
    })
  ], { ephemeralStorage: true })
  await mkdir(chatty.containers[0].workDir, { recursive: true })
  await writeFile(join(chatty.containers[0].workDir, 'scratch'), 'task data')
  const chattySeen = observer()
  let linesAtExit = -1
  runner.start(chatty, { ...chattySeen.listener, exited: (exit) => {
    linesAtExit = -2
    void logLines(chatty.containers[0].logPath).then((lines) => { linesAtExit = lines.length })
    chattySeen.listener.exited(exit)
  } })
  const exit = await chattySeen.done
  t.match(exit, { exitCode: 0, stopped: false, escalated: true, containers: [{ name: 'main', exitCode: 0 }, { name: 'stubborn', signal: 'SIGKILL' }] },
    'the stubborn sidecar got SIGKILL after its own 1 s, not the runner\'s 60 s')
  await until(() => linesAtExit >= 0)
  t.equal(linesAtExit, 10_000, 'every line is in the log file when exited() fires')
  t.notOk(existsSync(chatty.containers[0].workDir), 'ephemeral storage: the workDir is gone')
  t.same(await volumesOf(`stratus.sandbox=${chatty.id}`), [], 'the task volume is gone')
  t.ok((await run('docker', ['volume', 'inspect', shared])).stdout.includes(shared), 'the shared volume stays')

  // A shared volume that does not exist, without autoprovision: the start fails, naming it.
  const missing = sandbox([container(dir, 'main', { volumes: [{ volume: `${shared}-absent`, containerPath: '/x', scope: 'shared' }] })])
  const missingSeen = observer()
  runner.start(missing, missingSeen.listener)
  await t.rejects(missingSeen.done, { code: 'CannotCreateContainerError', message: /absent does not exist.*autoprovision is off/ })

  // Bridge mode: a container that waited publishes its ports once started; its bindings are read then.
  const bridged = sandbox([
    container(dir, 'first', { script: LONG }),
    container(dir, 'later', { script: LONG, portMappings: [{ containerPort: 8080 }], dependsOn: [{ containerName: 'first', condition: 'START' }] })
  ], { networkMode: 'bridge' })
  const bridgedSeen = observer()
  runner.start(bridged, bridgedSeen.listener)
  await until(() => bridgedSeen.changes.some((i) => i.containers[1].state === 'running'))
  const later = bridgedSeen.changes.find((i) => i.containers[1].state === 'running')!.containers[1]
  t.match(later.networkBindings, [{ bindIP: '127.0.0.1', containerPort: 8080, protocol: 'tcp' }])
  t.ok(later.networkBindings![0].hostPort > 0, 'the ephemeral host port of a container started after running()')
  runner.stop(bridged.id, { graceMs: 0 })
  await bridgedSeen.done

  runner.stop(features.id)
  t.match(await seen.done, { stopped: true })
  t.same(await volumesOf(`stratus.sandbox=${features.id}`), [], 'removed with its sandbox')
  t.same(await dockerPs(`stratus.sandbox=${features.id}`), [])
})
