// tcp.test.ts again with the C relay turned off (STRATUS_LB_RELAY=off): the
// path plain TCP listeners take where the relay is not built, bytes moved in
// Node (tcp-pipe.ts).
process.env.STRATUS_LB_RELAY = 'off'
await import('./tcp.test.js')
