// The remote SDK's awsQuery client against the server's own awsQuery codec
// (runtime/api/aws-query.ts): what it form-encodes the server decodes to the
// same input; what the server answers in XML it reads back in IAM's shapes
// (lists, empty lists, Dates, numbers, booleans, escaped text); XML it cannot
// read is refused whole, naming where.
import t from 'tap'
import { decodeQuery, encodeQueryError, encodeQueryResponse } from '../../runtime/api/aws-query.js'
import { encodeQuery, decodeQueryResponse } from '../../sdk/remote/query.js'
import { IAM_QUERY } from '../../sdk/remote/iam.js'
import { parseXml } from '../../sdk/remote/xml.js'
import { InternalError } from '../../sdk/index.js'

const XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/'

t.test('the form it sends is the input the server decodes', async (t) => {
  const input = { UserName: 'alice', Path: '/team/', Tags: [{ Key: 'team', Value: 'a & b=c' }, { Key: 'env', Value: 'dev' }], MaxItems: 5 }
  const decoded = decodeQuery(encodeQuery('CreateUser', '2010-05-08', input))
  t.equal(decoded.action, 'CreateUser')
  t.equal(decoded.version, '2010-05-08')
  t.same(decoded.input, { UserName: 'alice', Path: '/team/', Tags: [{ Key: 'team', Value: 'a & b=c' }, { Key: 'env', Value: 'dev' }], MaxItems: '5' })
  t.same(decodeQuery(encodeQuery('UntagUser', '2010-05-08', { UserName: 'a', TagKeys: ['x', 'y'] })).input, { UserName: 'a', TagKeys: ['x', 'y'] })
})

t.test('the XML the server answers, read back in IAM\'s shapes', async (t) => {
  const created = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678))
  const output = {
    Users: [{ Path: '/', UserName: 'a<b>', UserId: 'AIDA1', Arn: 'arn:aws:iam::000000000000:user/a', CreateDate: created, Tags: [{ Key: 'k', Value: "'quoted' & \"double\"" }] }],
    IsTruncated: true, Marker: 'next'
  }
  t.same(decodeQueryResponse('ListUsers', encodeQueryResponse('ListUsers', XMLNS, output, 'req-1'), IAM_QUERY.shape), output)
  t.same(decodeQueryResponse('ListUsers', encodeQueryResponse('ListUsers', XMLNS, { Users: [], IsTruncated: false }, 'req-2'), IAM_QUERY.shape),
    { Users: [], IsTruncated: false }, 'an empty list is a list')
  t.same(decodeQueryResponse('ListUserPolicies', encodeQueryResponse('ListUserPolicies', XMLNS, { PolicyNames: ['one', 'two'], IsTruncated: false }, 'r'), IAM_QUERY.shape),
    { PolicyNames: ['one', 'two'], IsTruncated: false })
  t.same(decodeQueryResponse('GetRole', encodeQueryResponse('GetRole', XMLNS, { Role: { RoleName: 'r', MaxSessionDuration: 7200 } }, 'r'), IAM_QUERY.shape),
    { Role: { RoleName: 'r', MaxSessionDuration: 7200 } })
  t.same(decodeQueryResponse('DeleteUser', encodeQueryResponse('DeleteUser', XMLNS, {}, 'r'), IAM_QUERY.shape), {}, 'no result: nothing to say')
  const error = parseXml(encodeQueryError({ type: 'NoSuchEntity', status: 404, message: 'The user with name <x> cannot be found.' }, XMLNS, 'r'))
  t.equal(error.children[0]!.children.find((c) => c.name === 'Message')!.text, 'The user with name <x> cannot be found.')
})

t.test('XML it cannot read is refused, naming where', async (t) => {
  t.equal(parseXml('<?xml version="1.0"?><a x="1"><!-- c --><b>&#x41;&#66;&amp;<![CDATA[<raw>]]></b><c/></a>').children[0]!.text, 'AB&<raw>')
  for (const bad of ['<a><b></a>', '<a>', '<a></a><b></b>', 'text only', '<a><b</a>']) {
    t.throws(() => parseXml(bad), InternalError, `refused: ${bad}`)
    t.throws(() => parseXml(bad), { code: 'MalformedXml', message: /offset \d+/ })
  }
})
