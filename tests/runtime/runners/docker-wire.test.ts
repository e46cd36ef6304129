// The docker runner's wire-level pieces, without an engine: the API version it
// negotiates, the demultiplexing of the engine's 8-byte-header frames however
// the bytes are cut, engine timestamps, the holder's pause program, and the
// create requests it sends (labels, limits, security, network modes).
import t from 'tap'
import { spawn } from 'node:child_process'
import { chmod, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Demultiplexer, negotiateVersion, pauseProgram } from '../../../runtime/runners/docker/index.js'
import { resumeMark, resumePoint, timestampNanos } from '../../../runtime/runners/docker/logs.js'
import { containerCreate, holderCreate, programCandidates, type EngineFacts } from '../../../runtime/runners/docker/sandbox.js'
import type { ResolvedImage } from '../../../runtime/runners/docker/images.js'
import type { ContainerSpec, SandboxSpec } from '../../../runtime/runners/index.js'

t.test('the API version: the lower of the engine\'s and the client\'s, never one the engine refuses', async (t) => {
  t.equal(negotiateVersion({ ApiVersion: '1.41', MinAPIVersion: '1.12' }), '1.41', 'Debian\'s docker.io 20.10')
  t.equal(negotiateVersion({ ApiVersion: '1.50', MinAPIVersion: '1.44' }), '1.47', 'a recent engine: the highest this client knows')
  t.equal(negotiateVersion({ ApiVersion: '1.100' }), '1.47', 'versions compare as numbers (1.100 > 1.47)')
  t.equal(negotiateVersion({ ApiVersion: '1.30' }), '1.30')
  t.throws(() => negotiateVersion({ ApiVersion: '1.60', MinAPIVersion: '1.50' }), /needs API 1\.50 or later/)
  t.throws(() => negotiateVersion({ ApiVersion: '1.24' }), /needs 1\.25 or later/)
})

t.test('frames are demultiplexed however the stream is cut', async (t) => {
  const frame = (stream: number, text: string) => {
    const payload = Buffer.from(text)
    const header = Buffer.alloc(8)
    header[0] = stream
    header.writeUInt32BE(payload.length, 4)
    return Buffer.concat([header, payload])
  }
  const stream = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err\n'), frame(1, ''), frame(1, 'x'.repeat(70_000)), frame(2, 'last')])
  const expected = [[1, 'out one\n'], [2, 'err\n'], [1, 'x'.repeat(70_000)], [2, 'last']]
  for (const cut of [1, 3, 7, 8, 9, 4096, stream.length]) {
    const got: Array<[number, string]> = []
    const demux = new Demultiplexer((s, p) => got.push([s, p.toString()]))
    for (let i = 0; i < stream.length; i += cut) demux.push(stream.subarray(i, i + cut))
    t.same(got, expected, `cut every ${cut} bytes`)
    t.equal(demux.pendingBytes, 0)
  }
  const partial = new Demultiplexer(() => {})
  partial.push(stream.subarray(0, 12))
  t.equal(partial.pendingBytes, 12, 'an unfinished frame waits for the rest')
})

t.test('engine timestamps in nanoseconds, exactly', async (t) => {
  t.equal(timestampNanos('1970-01-01T00:00:01.500000000Z'), 1_500_000_000n)
  t.equal(timestampNanos('2026-12-01T13:28:37Z'), BigInt(Date.UTC(2026, 11, 1, 13, 28, 37)) * 1_000_000n)
  t.equal(timestampNanos('2026-12-01T13:28:37.891485949Z'), BigInt(Date.UTC(2026, 11, 1, 13, 28, 37)) * 1_000_000n + 891_485_949n)
  t.equal(timestampNanos('2026-12-01T13:28:37.8914859Z'), BigInt(Date.UTC(2026, 11, 1, 13, 28, 37)) * 1_000_000n + 891_485_900n, 'trailing zeros trimmed (RFC3339Nano)')
  t.equal(timestampNanos('2026-12-01T15:28:37.5+02:00'), BigInt(Date.UTC(2026, 11, 1, 13, 28, 37)) * 1_000_000n + 500_000_000n, 'an offset')
})

// Regression: the mark was the stamp's seconds as a double, and the resume point 1 µs after the
// mtime; libuv keeps whole microseconds of a time it sets (it drops the rest), and a double's
// rounding could put the mtime a microsecond below the stamp: about one resume in ten copied the
// last line again.
t.test('the resume point set on a log file is after its last line, whatever the stamp\'s nanoseconds', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-resume-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const path = join(dir, 'main.log')
  await writeFile(path, 'a line\n')
  const base = BigInt(Date.UTC(2026, 11, 1, 13, 28, 37)) * 1_000_000n
  let wrong = 0
  for (let i = 0; i < 2000; i++) {
    // Every position within a microsecond, the boundaries included, across many microseconds.
    const ns = base + BigInt(i) * 1_234_567n + BigInt([0, 1, 100, 499, 500, 501, 900, 999][i % 8])
    const stamp = `${new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19)}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`
    if (timestampNanos(stamp) !== ns) wrong++
    await utimes(path, new Date(), resumeMark(stamp))
    const [seconds, nanos] = (await resumePoint(path))!.split('.')
    const since = BigInt(seconds) * 1_000_000_000n + BigInt(nanos)
    if (!(since > ns && since - ns <= 1000n)) wrong++
  }
  t.equal(wrong, 0, 'since is after the stamp (the line is not read again) and within a microsecond of it')
})

t.test('the pause program is a static x86-64 executable that blocks until killed', { skip: process.arch !== 'x64' ? 'x86-64 only' : false }, async (t) => {
  const program = pauseProgram()
  t.equal(program.length, 129)
  t.same([...program.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46])
  const dir = await mkdtemp(join(tmpdir(), 'stratus-pause-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const path = join(dir, 'pause')
  await writeFile(path, program)
  await chmod(path, 0o755)
  const child = spawn(path, [], { stdio: 'ignore' })
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(child.exitCode, null, 'still running')
  child.kill('SIGKILL')
  t.equal(await exited, 'SIGKILL')
})

const facts: EngineFacts = { engineId: 'e1', runnerId: 'r1', bridgeNetwork: 'bridge', cpus: 2, allowPrivileged: false }
const image: ResolvedImage = { name: 'busybox:1.36', id: 'sha256:abc', digest: 'sha256:abc', env: ['PATH=/usr/bin:/bin'], entrypoint: null, cmd: ['sh'], workingDir: '' }
const c = (o: Partial<ContainerSpec> = {}): ContainerSpec => ({
  name: 'main', image: 'busybox:1.36', command: ['sh', '-c', 'true'], env: { A: '1' }, vcpus: 4, memoryMiB: 2, gpus: 1,
  logPath: '/logs/main.log', workDir: '/work/main', ...o
})

t.test('the create request of a container', async (t) => {
  const spec: SandboxSpec = { id: 'job#1', labels: { team: 'a' }, address: '127.0.0.9', containers: [c({ portMappings: [{ containerPort: 80, hostPort: 8080 }] })] }
  const { name, body } = containerCreate(facts, spec, 0, image, undefined)
  t.match(name, /^stratus-job_1-main-[0-9a-f]{12}$/, 'a name the engine accepts, unique per engine, sandbox and container')
  t.not(name, containerCreate({ ...facts, engineId: 'e2' }, spec, 0, image, undefined).name)
  t.match(body, {
    Image: 'busybox:1.36', Env: ['A=1'], Cmd: ['sh', '-c', 'true'],
    Labels: {
      team: 'a', 'stratus.engine': 'e1', 'stratus.sandbox': 'job#1', 'stratus.container': 'main', 'stratus.runner': 'r1',
      'stratus.index': '0', 'stratus.essential': 'true', 'stratus.labels': '{"team":"a"}', 'stratus.gpus': '1', 'stratus.address': '127.0.0.9'
    },
    ExposedPorts: { '80/tcp': {} },
    HostConfig: {
      Init: true, SecurityOpt: ['no-new-privileges'], Privileged: false, ReadonlyRootfs: false,
      NanoCpus: 2e9, CpuShares: 4096, Memory: 6 * 1024 * 1024, MemorySwap: 6 * 1024 * 1024,
      NetworkMode: 'bridge', PortBindings: { '80/tcp': [{ HostIp: '127.0.0.9', HostPort: '8080' }] }
    }
  })
  t.notOk('Entrypoint' in body, 'the image\'s ENTRYPOINT unless the spec has one')
  const privileged: SandboxSpec = { ...spec, containers: [c({ privileged: true })] }
  t.equal((containerCreate({ ...facts, allowPrivileged: true }, privileged, 0, image, undefined).body.HostConfig as Record<string, unknown>).Privileged, true,
    'privileged when the runner allows it')
  // Regression: privileged: true was dropped (run unprivileged) when the runner did not allow it, rather than refused.
  t.throws(() => containerCreate(facts, privileged, 0, image, undefined), { code: 'RunnerUnsupported', field: 'containers[0].privileged' },
    'privileged refused, never dropped, when the runner does not allow it, even if the wrapper was bypassed')

  const joined = containerCreate(facts, { ...spec, containers: [c(), c({ name: 'side' })] }, 1, image, 'holder-id')
  t.match(joined.body, { HostConfig: { NetworkMode: 'container:holder-id' } })
  t.notOk('PortBindings' in (joined.body.HostConfig as object), 'a joined container publishes nothing itself')
  const holder = holderCreate(facts, { ...spec, containers: [c({ portMappings: [{ containerPort: 80 }] }), c({ name: 'side', portMappings: [{ containerPort: 53, protocol: 'udp' }] })] }, 'stratus/pause:1')
  t.match(holder.body, {
    Image: 'stratus/pause:1', Labels: { 'stratus.role': 'holder' },
    HostConfig: { NetworkMode: 'bridge', PortBindings: { '80/tcp': [{ HostIp: '127.0.0.9', HostPort: '' }], '53/udp': [{ HostIp: '127.0.0.9', HostPort: '' }] } }
  }, 'the holder publishes every container\'s ports on the sandbox address')
  t.match(containerCreate(facts, { ...spec, networkMode: 'bridge' }, 0, image, undefined).body,
    { HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1' }] } } }, 'bridge: 127.0.0.1')
  t.match(containerCreate(facts, { ...spec, networkMode: 'host' }, 0, image, undefined).body, { HostConfig: { NetworkMode: 'host' } })
})

t.test('where the program of a container is looked for', async (t) => {
  t.same(programCandidates(c({ command: ['sh', '-c', 'x'] }), image), ['/usr/bin/sh', '/bin/sh'], 'the image\'s PATH')
  t.same(programCandidates(c({ command: ['sh'], env: { PATH: '/opt/bin' } }), image), ['/opt/bin/sh'], 'the container\'s PATH first')
  t.same(programCandidates(c({ command: ['./run'], workingDirectory: '/app' }), image), ['/app/run'])
  t.same(programCandidates(c({ command: [] }), image), ['/usr/bin/sh', '/bin/sh'], 'the image\'s CMD')
  t.same(programCandidates(c({ command: ['x'] }), { ...image, entrypoint: ['/entry'] }), ['/entry'], 'the image\'s ENTRYPOINT comes first')
  t.same(programCandidates(c({ entryPoint: ['/mine'], command: [] }), { ...image, entrypoint: ['/entry'] }), ['/mine'])
  t.equal(programCandidates(c({ command: [] }), { ...image, cmd: null }), undefined, 'nothing to run: the engine says so')
})
