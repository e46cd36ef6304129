// The listener's own answers: fixed-response (status, content type, body) and
// redirect (ELBv2's placeholders, 301/302, HTTP → HTTPS), as ALB answers them.
import t from 'tap'
import { redirectLocation } from '../../../runtime/lb/http/actions.js'
import type { RedirectAction } from '../../../runtime/lb/model.js'
import { fixed, listenerConfig, openListener, raw, request, statusLine } from './http-fixtures.js'

function redirect(partial: Partial<RedirectAction>): RedirectAction {
  return { type: 'redirect', protocol: '#{protocol}', host: '#{host}', port: '#{port}', path: '/#{path}', query: '#{query}', statusCode: 'HTTP_301', ...partial }
}

t.test('fixed-response: the status, content type and body as configured', async (t) => {
  const listener = await openListener(t, listenerConfig({
    rules: [
      { key: 'r1', priority: 1, conditions: [{ field: 'path-pattern', values: ['/json'] }], actions: [fixed('503', '{"down":true}', 'application/json')] },
      { key: 'r2', priority: 2, conditions: [{ field: 'path-pattern', values: ['/empty'] }], actions: [fixed('204')] }
    ],
    defaultActions: [fixed('200', 'héllo')]
  }))
  const json = await request(listener.port, '/json')
  t.equal(json.status, 503)
  t.equal(json.headers['content-type'], 'application/json')
  t.equal(json.body, '{"down":true}')
  t.equal(json.headers.server, 'awselb/2.0')
  const plain = await request(listener.port, '/')
  t.equal(plain.status, 200)
  t.equal(plain.headers['content-type'], 'text/plain; charset=utf-8', 'text/plain by default')
  t.equal(plain.body, 'héllo')
  t.equal(plain.headers['content-length'], String(Buffer.byteLength('héllo')))
  const empty = await request(listener.port, '/empty')
  t.equal(empty.status, 204)
  t.equal(empty.body, '')
  const head = await request(listener.port, '/', { method: 'HEAD' })
  t.equal(head.status, 200)
  t.equal(head.body, '', 'HEAD has no body')
})

t.test('redirect placeholders (unit): defaults keep the request, default ports are left out', async (t) => {
  const facts = { protocol: 'http', host: 'shop.example.com', port: 80, path: 'a/b', query: 'x=1' }
  t.equal(redirectLocation(redirect({}), facts), 'http://shop.example.com/a/b?x=1')
  t.equal(redirectLocation(redirect({ protocol: 'HTTPS', port: '443' }), facts), 'https://shop.example.com/a/b?x=1')
  t.equal(redirectLocation(redirect({ protocol: 'HTTPS', port: '8443' }), facts), 'https://shop.example.com:8443/a/b?x=1')
  t.equal(redirectLocation(redirect({ host: 'new.#{host}', path: '/v2/#{path}', query: '#{query}&from=#{port}' }), { ...facts, port: 8080 }), 'http://new.shop.example.com:8080/v2/a/b?x=1&from=8080')
  t.equal(redirectLocation(redirect({ query: '' }), { ...facts, query: '' }), 'http://shop.example.com/a/b', 'no query, no ?')
})

t.test('HTTP → HTTPS redirect through a listener (301 and 302)', async (t) => {
  const listener = await openListener(t, listenerConfig({
    rules: [{ key: 'r1', priority: 1, conditions: [{ field: 'path-pattern', values: ['/temp/*'] }], actions: [redirect({ statusCode: 'HTTP_302', host: 'other.test', path: '/landing' })] }],
    defaultActions: [redirect({ protocol: 'HTTPS', port: '443' })]
  }))
  const moved = await request(listener.port, '/cart/items?id=7', { headers: { host: 'shop.example.com' } })
  t.equal(moved.status, 301)
  t.equal(moved.headers.location, 'https://shop.example.com/cart/items?id=7')
  t.match(moved.body, /<title>301 Moved Permanently<\/title>/)
  const temp = await request(listener.port, '/temp/x', { headers: { host: 'shop.example.com:81' } })
  t.equal(temp.status, 302)
  t.equal(temp.headers.location, `http://other.test:${listener.port}/landing`, '#{port} is the listener port')
  // The same answer on the wire, byte for byte the status line ALB sends.
  const wire = await raw(listener.port, 'GET /a HTTP/1.1\r\nHost: h.test\r\nConnection: close\r\n\r\n')
  t.equal(statusLine(wire.text), 'HTTP/1.1 301 Moved Permanently')
  t.match(wire.text, /\r\nLocation: https:\/\/h\.test\/a\r\n/)
})

t.test('no action at all answers 503 (a listener being configured)', async (t) => {
  const listener = await openListener(t, listenerConfig({ defaultActions: [] }))
  const reply = await request(listener.port, '/')
  t.equal(reply.status, 503)
  t.match(reply.body, '<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>')
})
