// The listener's rules: priority order, every condition type with its
// wildcards and case rules, AND across conditions and OR across values,
// and the default actions when nothing matches; update() swaps them in place.
import t from 'tap'
import { RuleTable, parseCidr, wildcard, type RequestFacts } from '../../../runtime/lb/http/rules.js'
import type { RuleConfig } from '../../../runtime/lb/model.js'
import { connect, fixed, listenerConfig, openListener, request } from './http-fixtures.js'

function rule(priority: number, conditions: RuleConfig['conditions'], body = `rule ${priority}`): RuleConfig {
  return { key: `rule/${priority}`, priority, conditions, actions: [fixed('200', body)] }
}

t.test('wildcards: * any run, ? one character, everything else literal', async (t) => {
  t.ok(wildcard('/img/*', false).test('/img/a/b.png'))
  t.ok(wildcard('/img/*', false).test('/img/'))
  t.notOk(wildcard('/img/*', false).test('/img'))
  t.ok(wildcard('/v?/x', false).test('/v1/x'))
  t.notOk(wildcard('/v?/x', false).test('/v10/x'))
  t.notOk(wildcard('/a.b', false).test('/aXb'), 'a dot is a dot')
  t.notOk(wildcard('/A*', false).test('/a1'), 'case-sensitive')
  t.ok(wildcard('*.EXAMPLE.com', true).test('api.example.COM'), 'case-insensitive')
})

t.test('CIDRs: IPv4, IPv6, IPv4-mapped', async (t) => {
  t.same(parseCidr('10.0.0.0/8')?.v6, false)
  t.equal(parseCidr('10.0.0.0/33'), undefined)
  t.equal(parseCidr('300.0.0.0/8'), undefined)
  t.equal(parseCidr('::1/128')?.v6, true)
  const table = new RuleTable([rule(1, [{ field: 'source-ip', values: ['127.0.0.0/30', '2001:db8::/32'] }])], [fixed('404')])
  const facts = (sourceIp: string): RequestFacts => ({ method: 'GET', path: '/', query: '', host: 'h', headers: {}, sourceIp })
  t.equal(table.actionsFor(facts('127.0.0.3')).rule, 'rule/1')
  t.equal(table.actionsFor(facts('127.0.0.4')).rule, undefined)
  t.equal(table.actionsFor(facts('2001:db8:1::5')).rule, 'rule/1')
  t.equal(table.actionsFor(facts('2001:db9::5')).rule, undefined)
})

t.test('through a listener: each condition type, priority order, defaults', async (t) => {
  const rules: RuleConfig[] = [
    // Out of order on purpose: the listener sorts by priority.
    rule(30, [{ field: 'path-pattern', values: ['/api/*'] }]),
    rule(10, [{ field: 'path-pattern', values: ['/api/v?/special'] }]),
    rule(40, [{ field: 'host-header', values: ['*.example.com', 'exact.test'] }]),
    rule(50, [{ field: 'http-header', headerName: 'X-Client', values: ['mobile-*'] }]),
    rule(60, [{ field: 'http-request-method', values: ['DELETE', 'PATCH'] }]),
    rule(70, [{ field: 'query-string', values: [{ key: 'ver*', value: 'beta' }, { value: 'canary' }] }]),
    rule(80, [
      { field: 'path-pattern', values: ['/both'] },
      { field: 'http-header', headerName: 'x-both', values: ['yes'] }
    ]),
    rule(90, [{ field: 'source-ip', values: ['127.0.0.1/32'] }, { field: 'path-pattern', values: ['/from-loopback'] }])
  ]
  const listener = await openListener(t, listenerConfig({ rules }))
  const body = async (path: string, o: Parameters<typeof request>[2] = {}): Promise<string> => (await request(listener.port, path, o)).body

  t.equal(await body('/api/v2/special'), 'rule 10', 'the lower priority number wins when both match')
  t.equal(await body('/api/v22/special'), 'rule 30', '? is one character')
  t.equal(await body('/api/users?x=1'), 'rule 30', 'path-pattern ignores the query string')
  t.equal(await body('/API/users'), 'default', 'path-pattern is case-sensitive')
  t.equal(await body('/', { headers: { host: 'Shop.EXAMPLE.com:8080' } }), 'rule 40', 'host-header: case-insensitive, port ignored')
  t.equal(await body('/', { headers: { host: 'exact.test' } }), 'rule 40')
  t.equal(await body('/', { headers: { host: 'example.com' } }), 'default', '*.example.com needs a label before it')
  t.equal(await body('/', { headers: { 'x-client': 'MOBILE-ios' } }), 'rule 50', 'http-header: name and value case-insensitive')
  t.equal(await body('/', { method: 'PATCH' }), 'rule 60')
  t.equal(await body('/', { method: 'POST' }), 'default')
  t.equal(await body('/?version=BETA'), 'rule 70', 'query-string: key wildcard, value case-insensitive')
  t.equal(await body('/?a=1&b=canary'), 'rule 70', 'query-string without a key: any value')
  t.equal(await body('/?release=beta'), 'default', 'the key must match')
  t.equal(await body('/?q=canary%20x'), 'default')
  t.equal(await body('/?q=can%61ry'), 'rule 70', 'query values are compared decoded')
  t.equal(await body('/both'), 'default', 'every condition must match (AND)')
  t.equal(await body('/both', { headers: { 'x-both': 'yes' } }), 'rule 80')
  t.equal(await body('/from-loopback'), 'rule 90', 'source-ip matches the client address')
})

t.test('update() replaces the rules without dropping an open keep-alive connection', async (t) => {
  const listener = await openListener(t, listenerConfig({ rules: [rule(1, [{ field: 'path-pattern', values: ['/x'] }], 'old')] }))
  const socket = await connect(t, listener.port)
  const exchange = (): Promise<string> =>
    new Promise((resolve) => {
      let text = ''
      const onData = (c: Buffer): void => {
        text += c.toString('latin1')
        const end = text.indexOf('\r\n\r\n')
        const len = /content-length: (\d+)/i.exec(text)
        if (end >= 0 && len !== null && text.length >= end + 4 + Number(len[1])) {
          socket.off('data', onData)
          resolve(text.slice(end + 4))
        }
      }
      socket.on('data', onData)
      socket.write('GET /x HTTP/1.1\r\nHost: a\r\n\r\n')
    })
  t.equal(await exchange(), 'old')
  listener.update(listenerConfig({ rules: [rule(1, [{ field: 'path-pattern', values: ['/x'] }], 'new')], defaultActions: [fixed('404', 'none')] }))
  t.equal(await exchange(), 'new', 'the same connection sees the new rule')
  t.equal(socket.destroyed, false)
  t.equal((await request(listener.port, '/y')).body, 'none', 'and the new default action')
})
