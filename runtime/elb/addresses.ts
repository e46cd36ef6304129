// Addresses of load balancers: each gets one of its own from 127.250.0.0/16
// (127.250.0.1 – 127.250.255.254, never .0 or .255), kept in its record; its
// listeners bind there and DescribeLoadBalancers gives it as DNSName. Tasks
// take theirs from runtime/tasks/addresses.ts (127.1.0.1 – 127.249.255.254; AddressRange is shared); which
// addresses are in use is the store's to say (the load balancers' `address`
// index), not this cursor's.

import { AddressRange, ipv4 } from '../tasks/addresses.js'
import { Elbv2Error } from './errors.js'

export const LB_ADDRESS_RANGE = '127.250.0.0/16'

/** Whether an address is one load balancers take (so targets cannot be registered on it). */
export function isLoadBalancerAddress(address: string): boolean {
  return address.startsWith('127.250.')
}

export class LbAddressPool extends AddressRange {
  // Each engine starts at a random place in the range, so two engines on one machine (tests in parallel, two
  // `stratus serve`) rarely hand out the same address and clash on its ports.
  constructor() {
    super(ipv4(127, 250, 0, 1), ipv4(127, 250, 255, 254), () => new Elbv2Error('TooManyLoadBalancers', `every address of ${LB_ADDRESS_RANGE} is taken by a load balancer`))
  }
}
