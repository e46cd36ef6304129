// Addresses for sandboxes, from 127.0.0.0/8: every run gets one of its own
// (its containers share it, as a Fargate task shares its ENI's address).
// 127.0.0.0/16 is left alone (127.0.0.1 is the engine's own endpoint); runs
// take 127.1.0.1 – 127.249.255.254, never .0 or .255 (127.250.0.0/16 and up
// are the load balancers', runtime/elb/addresses.ts). Each pool starts at a
// random place of the range, so two engines on one machine (test files in
// parallel, two `stratus serve`) rarely hand out the same address and clash
// on its ports. Which addresses are in use is the store's to say (the task
// rows hold them), not this cursor's: an address taken in a transaction that
// is undone is simply free again.

import { randomInt } from 'node:crypto'
import { UnavailableError } from '../errors.js'

const FIRST = (127 << 24 | 1 << 16 | 0 << 8 | 1) >>> 0
const LAST = (127 << 24 | 249 << 16 | 255 << 8 | 254) >>> 0

function format(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
}

export class AddressPool {
  #next = FIRST + randomInt(LAST - FIRST)

  /**
   * The next address `inUse` does not claim, cycling through the range (so a
   * just-freed address is not handed out again at once).
   */
  take(inUse: (address: string) => boolean): string {
    for (let tries = 0; tries <= LAST - FIRST; tries++) {
      const n = this.#next
      this.#next = n >= LAST ? FIRST : n + 1
      const last = n & 255
      if (last === 0 || last === 255) continue
      const address = format(n)
      if (!inUse(address)) return address
    }
    throw new UnavailableError('AddressesExhausted', 'every address of 127.1.0.0-127.249.255.255 is in use')
  }
}
