// Every runner passes the one conformance suite (conformance.ts), unchanged.
import t from 'tap'
import { RealClock } from '../../../runtime/clock/clock.js'
import { ProcessRunner, SimulatedRunner } from '../../../runtime/runners/index.js'
import { conformance } from './conformance.js'

// The engine's clock never keeps the process alive (its HTTP endpoint does); with a bare
// simulated runner on the real clock, nothing else would while its tasks wait on timers.
const keepAlive = setInterval(() => {}, 60_000)
t.teardown(() => clearInterval(keepAlive))

conformance(t, { name: 'process', create: () => ProcessRunner.create(() => Date.now(), { graceMs: 10_000 }) })
conformance(t, { name: 'simulated', create: async () => new SimulatedRunner(new RealClock()) })
