// The runner conformance suite (conformance.ts), unchanged, against the OCI
// runner: runc, images from a Registry holding busybox:1.36.
import t from 'tap'
import { instrument } from '../../../runtime/runners/index.js'
import { ociTestRunner } from './oci-kit.js'
import { conformance } from './conformance.js'

conformance(t, {
  name: 'oci',
  create: async () => {
    const made = await ociTestRunner({ graceMs: 10_000 })
    // The suite closes the runner; the registry and the state dir go after it.
    t.teardown(() => made.close())
    return instrument(made.runner)
  }
})
