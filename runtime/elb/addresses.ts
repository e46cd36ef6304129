// Addresses of load balancers: each gets one of its own from 127.250.0.0/16
// (127.250.0.1 – 127.250.255.254, never .0 or .255), kept in its record; its
// listeners bind there and DescribeLoadBalancers gives it as DNSName. Tasks
// take theirs from runtime/tasks/addresses.ts (127.1.0.1 onwards); which
// addresses are in use is the store's to say (the load balancers' `address`
// index), not this cursor's.

import { randomInt } from 'node:crypto'
import { Elbv2Error } from './errors.js'

const FIRST = (127 << 24 | 250 << 16 | 0 << 8 | 1) >>> 0
const LAST = (127 << 24 | 250 << 16 | 255 << 8 | 254) >>> 0

export const LB_ADDRESS_RANGE = '127.250.0.0/16'

function format(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
}

/** Whether an address is one load balancers take (so targets cannot be registered on it). */
export function isLoadBalancerAddress(address: string): boolean {
  return address.startsWith('127.250.')
}

export class LbAddressPool {
  // Each engine starts at a random place in the range, so two engines on one machine (tests in parallel, two
  // `stratus serve`) rarely hand out the same address and clash on its ports.
  #next = FIRST + randomInt(LAST - FIRST)

  /** The next address `inUse` does not claim, cycling through the range. */
  take(inUse: (address: string) => boolean): string {
    for (let tries = 0; tries <= LAST - FIRST; tries++) {
      const n = this.#next
      this.#next = n >= LAST ? FIRST : n + 1
      const last = n & 255
      if (last === 0 || last === 255) continue
      const address = format(n)
      if (!inUse(address)) return address
    }
    throw new Elbv2Error('TooManyLoadBalancers', `every address of ${LB_ADDRESS_RANGE} is taken by a load balancer`)
  }
}
