export { RealClock, ManualClock, type Clock, type TimerHandle } from './clock.js'
