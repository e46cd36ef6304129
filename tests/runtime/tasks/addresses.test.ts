// The sandbox address pool: 127.1.0.1 – 127.249.255.254, never a .0 or .255,
// never the load balancers' 127.250.0.0/16; each pool starts at a random place
// (two engines on one machine rarely collide) and skips what is in use.
import t from 'tap'
import { AddressPool } from '../../../runtime/tasks/addresses.js'

t.test('addresses come from the task range and skip what is in use', async (t) => {
  const pool = new AddressPool()
  const taken = new Set<string>()
  for (let i = 0; i < 2000; i++) {
    const a = pool.take((x) => taken.has(x))
    const [o1, o2, o3, o4] = a.split('.').map(Number)
    if (o1 !== 127 || o2 < 1 || o2 > 249 || o3 < 0 || o3 > 255 || o4 < 1 || o4 > 254) t.fail(`out of range: ${a}`)
    if (taken.has(a)) t.fail(`handed out twice while in use: ${a}`)
    taken.add(a)
  }
  t.equal(taken.size, 2000, 'every address handed out is distinct while held')
  const [a, b] = [pool.take(() => false), pool.take(() => false)]
  t.not(a, b, 'the cursor moves on: a just-freed address is not handed out again at once')
})

t.test('two pools start at different places', async (t) => {
  const firsts = new Set(Array.from({ length: 10 }, () => new AddressPool().take(() => false)))
  t.ok(firsts.size > 1, `ten pools started at ${firsts.size} place(s)`)
})
