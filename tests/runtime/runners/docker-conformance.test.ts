// The runner conformance suite (conformance.ts), unchanged, against the docker
// runner on the local engine, wrapped by instrument() as the engine uses it.
import t from 'tap'
import { instrument, DockerRunner } from '../../../runtime/runners/index.js'
import { loadBusyboxIntoDocker } from '../../fixtures/busybox-image.js'
import { requireTool } from '../../tools.js'
import { conformance } from './conformance.js'

await requireTool('docker', 'busybox')
await loadBusyboxIntoDocker()

conformance(t, {
  name: 'docker',
  create: async () => instrument(await DockerRunner.create({ engineId: `conformance-${process.pid}-${Date.now()}`, graceMs: 10_000 }))
})
