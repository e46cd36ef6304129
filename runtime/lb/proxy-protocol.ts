// The PROXY protocol version 2 header an NLB target group with
// proxy_protocol_v2.enabled sends at the start of each TCP connection to a
// target (before any byte of the client's, and before TLS to a TLS target):
// the 12-byte signature, version 2 with the PROXY command, TCP over IPv4, then
// the client's address and port as source and the listener's as destination.
// Listeners here are on 127.x, so both ends are IPv4 (an IPv4-mapped address is
// unmapped); anything else is sent as AF_UNSPEC with no addresses, which the
// protocol allows. No TLVs: NLB adds one only for PrivateLink endpoints, which
// have no counterpart here.

import net from 'node:net'

const SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a])

export interface Endpoint { address: string; port: number }

const unmapped = (address: string): string => (address.startsWith('::ffff:') ? address.slice(7) : address)

/** The header for a TCP connection from `source` (the client) to `destination` (the listener). */
export function proxyV2Header(source: Endpoint, destination: Endpoint): Buffer {
  const from = unmapped(source.address)
  const to = unmapped(destination.address)
  const v4 = net.isIPv4(from) && net.isIPv4(to)
  const out = Buffer.alloc(v4 ? 28 : 16)
  SIGNATURE.copy(out, 0)
  out[12] = 0x21 // version 2, PROXY
  out[13] = v4 ? 0x11 : 0x00 // TCP over IPv4, or AF_UNSPEC
  out.writeUInt16BE(v4 ? 12 : 0, 14)
  if (!v4) return out
  Buffer.from(from.split('.').map(Number)).copy(out, 16)
  Buffer.from(to.split('.').map(Number)).copy(out, 20)
  out.writeUInt16BE(source.port, 24)
  out.writeUInt16BE(destination.port, 26)
  return out
}
