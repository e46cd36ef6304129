// Every runner passes the one conformance suite (conformance.ts), unchanged,
// wrapped by instrument() as the engine uses it.
import t from 'tap'
import { RealClock } from '../../../runtime/clock/clock.js'
import { instrument, ProcessRunner, SimulatedRunner } from '../../../runtime/runners/index.js'
import { conformance } from './conformance.js'

// The engine's clock never keeps the process alive (its HTTP endpoint does); with a bare
// simulated runner on the real clock, nothing else would while its sandboxes wait on timers.
const keepAlive = setInterval(() => {}, 60_000)
t.teardown(() => clearInterval(keepAlive))

conformance(t, { name: 'process', create: async () => instrument(await ProcessRunner.create(() => Date.now(), { graceMs: 10_000 })) })
conformance(t, { name: 'simulated', create: async () => instrument(new SimulatedRunner(new RealClock())) })
