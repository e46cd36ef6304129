// Signal names <-> numbers of this machine (the helper speaks numbers).
import { constants } from 'node:os'
import { invalidRequest } from './errors.js'

const byNumber = new Map<number, NodeJS.Signals>()
for (const [name, num] of Object.entries(constants.signals)) {
  if (!byNumber.has(num)) byNumber.set(num, name as NodeJS.Signals)
}

/** A signal name (`'SIGTERM'`) or number, as accepted by kill(). */
export type Signal = NodeJS.Signals | number

export function signalNumber(signal: Signal, field = 'signal'): number {
  if (typeof signal === 'number') {
    if (Number.isInteger(signal) && byNumber.has(signal)) return signal
  } else if (typeof signal === 'string') {
    const num = (constants.signals as Record<string, number | undefined>)[signal]
    if (num !== undefined) return num
  }
  throw invalidRequest(field, `unknown signal ${JSON.stringify(signal)}`)
}

export function signalName(num: number): NodeJS.Signals | null {
  return num > 0 ? (byNumber.get(num) ?? null) : null
}

const errnoNames = new Map<number, string>()
for (const [name, num] of Object.entries(constants.errno)) {
  if (!errnoNames.has(num)) errnoNames.set(num, name)
}

/** Symbolic name of a (positive) errno: 2 -> 'ENOENT'. */
export function errnoName(errno: number): string {
  return errnoNames.get(Math.abs(errno)) ?? `E${Math.abs(errno)}`
}
