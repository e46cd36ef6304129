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

/** 127.a.b.c as the 32-bit number it is. */
export function ipv4(a: number, b: number, c: number, d: number): number {
  return (a << 24 | b << 16 | c << 8 | d) >>> 0
}

function format(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
}

/**
 * A cursor over a range of addresses (never a .0 or .255), starting at a
 * random place of it; what is in use is the caller's to say.
 */
export class AddressRange {
  readonly #first: number
  readonly #last: number
  readonly #exhausted: () => Error
  #next: number

  constructor(first: number, last: number, exhausted: () => Error) {
    this.#first = first
    this.#last = last
    this.#exhausted = exhausted
    this.#next = first + randomInt(last - first)
  }

  /**
   * The next address `inUse` does not claim, cycling through the range (so a
   * just-freed address is not handed out again at once).
   */
  take(inUse: (address: string) => boolean): string {
    for (let tries = 0; tries <= this.#last - this.#first; tries++) {
      const n = this.#next
      this.#next = n >= this.#last ? this.#first : n + 1
      const last = n & 255
      if (last === 0 || last === 255) continue
      const address = format(n)
      if (!inUse(address)) return address
    }
    throw this.#exhausted()
  }
}

/** The sandboxes' addresses: 127.1.0.1 – 127.249.255.254. */
export class AddressPool extends AddressRange {
  constructor() {
    super(ipv4(127, 1, 0, 1), ipv4(127, 249, 255, 254), () => new UnavailableError('AddressesExhausted', 'every address of 127.1.0.0-127.249.255.255 is in use'))
  }
}
