export { RealClock, ManualClock, type Clock, type TimerHandle } from './clock.js'
export { clockMarkOf, keepClockMark, manualStartOf } from './clock-mark.js'
