// ECS's cluster query language: every subject and operator, compound
// expressions, and bad expressions refused naming the field and the character.
import t from 'tap'
import { evaluate, parseExpression, type InstanceView } from '../../../runtime/ecs/placement/query.js'

const micro: InstanceView = {
  ec2InstanceId: 'i-abcd1234', agentConnected: true, agentVersion: '1.80.0', registeredAt: Date.parse('2018-06-18T22:28:28Z'), runningTasksCount: 2,
  attributes: { 'ecs.availability-zone': 'us-east-1a', 'ecs.instance-type': 't2.micro', 'ecs.os-type': 'linux', 'ecs.ami-id': 'ami-1', stack: 'prod' },
  taskGroups: ['service:production', 'family:web']
}
const large: InstanceView = {
  ...micro, ec2InstanceId: 'i-wxyz7890', agentConnected: false, agentVersion: '1.9.2', registeredAt: Date.parse('2020-01-01T00:00:00Z'), runningTasksCount: 0,
  attributes: { 'ecs.availability-zone': 'us-east-1d', 'ecs.instance-type': 'm5.large', 'ecs.os-type': 'linux' }, taskGroups: []
}
const check = (expression: string) => {
  const e = parseExpression(expression, 'filter')
  return [evaluate(e, micro), evaluate(e, large)]
}

t.test('every subject and operator', async (t) => {
  const cases: Array<[string, [boolean, boolean]]> = [
    ['attribute:ecs.instance-type == t2.micro', [true, false]],
    ['attribute:ecs.instance-type != t2.micro', [false, true]],
    ['attribute:ecs.availability-zone in [us-east-1a, us-east-1b]', [true, false]],
    ['attribute:ecs.availability-zone !in [us-east-1a, us-east-1b]', [false, true]],
    ['attribute:ecs.instance-type =~ t2.*', [true, false]],
    ['attribute:ecs.instance-type !~ t2.*', [false, true]],
    ['attribute:ecs.instance-type =~ m5*', [false, true]],
    ['attribute:ecs.instance-type =~ *.micro', [true, false]],
    ['attribute:ecs.instance-type =~ t2.micro', [true, false]],
    ['attribute:stack exists', [true, false]],
    ['attribute:stack !exists', [false, true]],
    ['attribute:ecs.ami-id == ami-1', [true, false]],
    ['attribute:ecs.os-type == linux', [true, true]],
    ["ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", [true, false]],
    ['ec2InstanceId == i-wxyz7890', [false, true]],
    ['agentConnected == true', [true, false]],
    ['agentConnected != true', [false, true]],
    ['agentVersion >= 1.11.0', [true, false]],
    ['agentVersion < 1.10', [false, true]],
    ['registeredAt < 2019-01-01', [true, false]],
    ['registeredAt >= 2018-06-18T22:28:28+00:00', [true, true]],
    ['registeredAt == 2018-06-18T22:28:28', [true, false]],
    ['registeredAt > 2018-06-18T22:28:28Z', [false, true]],
    ['runningTasksCount == 0', [false, true]],
    ['runningTasksCount > 1', [true, false]],
    ['runningTasksCount <= 2', [true, true]],
    ['task:group == service:production', [true, false]],
    ['task:group != service:production', [false, true]],
    ['task:group in [family:web, family:db]', [true, false]],
    ['task:group =~ family:.*', [true, false]]
  ]
  for (const [expression, expected] of cases) t.same(check(expression), expected, expression)
})

t.test('and / or / not, symbols and words, precedence and parentheses', async (t) => {
  t.same(check('attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone != us-east-1d'), [true, false])
  t.same(check('attribute:ecs.instance-type == t2.micro || attribute:ecs.instance-type == m5.large'), [true, true])
  t.same(check('not(task:group == service:production)'), [false, true])
  t.same(check('!(runningTasksCount > 0) && agentConnected == false'), [false, true])
  // and binds tighter than or: a or (b and c)
  t.same(check('runningTasksCount == 2 or runningTasksCount == 0 and agentConnected == true'), [true, false])
  t.same(check('(runningTasksCount == 2 or runningTasksCount == 0) and agentConnected == true'), [true, false])
  t.same(check('(runningTasksCount == 2 or runningTasksCount == 0) and not agentConnected == true'), [false, true])
  t.same(check('attribute:ecs.instance-type equals t2.micro'), [true, false], 'word operators')
})

t.test('bad expressions are refused naming the field and where they broke', async (t) => {
  const refused = (expression: string, field: string, message: RegExp) =>
    t.throws(() => parseExpression(expression, field), { code: 'InvalidParameterException', field, message }, expression)
  refused('attribute:ecs.instance-type', 'placementConstraints[0].expression', /character 28: expected an operator after attribute:ecs.instance-type, found the end/)
  refused('attribute:ecs.instance-type == ', 'filter', /character 32: expected a value/)
  refused('instanceType == t2.micro', 'filter', /character 1: unknown subject instanceType/)
  refused('runningTasksCount exists', 'filter', /character 19: runningTasksCount takes == != > >= < <=, not exists/)
  refused('attribute:x in a', 'filter', /character 16: expected a list/)
  refused('attribute:x in [a, b', 'filter', /expected ',' or '\]'/)
  refused('(attribute:x == a', 'filter', /character 18: expected '\)'/)
  refused('attribute:x == a b', 'filter', /character 18: expected 'and', 'or' or the end/)
  refused('runningTasksCount > many', 'filter', /whole number/)
  refused('registeredAt > yesterday', 'filter', /registeredAt takes a date/)
  t.throws(() => parseExpression(`attribute:x =~ '${'a'.repeat(256)}'`, 'filter'), { code: 'InvalidParameterException', field: 'filter', limit: 255, message: /pattern of a match is 256 characters; the limit is 255/ })
  refused("attribute:x == 'a", 'filter', /unterminated string starting at character 16/)
  refused('', 'filter', /non-empty/)
  t.throws(() => parseExpression(`attribute:x in [${'a,'.repeat(1000)}a]`, 'filter'), { code: 'InvalidParameterException', field: 'filter', limit: 2000 })
})

// A =~ pattern used to be compiled as the user's regular expression, so
// `(a|a)*b` against a long value blocked the event loop (catastrophic
// backtracking) in RunTask constraints and ListContainerInstances' filter.
t.test('a hostile match pattern returns and is read as a wildcard, not a regular expression', async (t) => {
  const hostile: InstanceView = { ...micro, attributes: { ...micro.attributes, stack: 'a'.repeat(5000) } }
  t.equal(evaluate(parseExpression("attribute:stack =~ '(a|a)*b'", 'filter'), hostile), false, 'regex syntax is literal text')
  t.equal(evaluate(parseExpression(`attribute:stack =~ '${'*a'.repeat(60)}*b'`, 'filter'), hostile), false, 'many stars against a long near-miss')
  t.equal(evaluate(parseExpression(`attribute:stack =~ '${'*a'.repeat(60)}*'`, 'filter'), hostile), true)
  const short: InstanceView = { ...micro, attributes: { stack: 'aaab' } }
  t.equal(evaluate(parseExpression("attribute:stack =~ '(a|a)*b'", 'filter'), short), false, 'what the regex would match, the wildcard does not')
  const literal: InstanceView = { ...micro, attributes: { stack: '(a|a)xyz-b' } }
  t.equal(evaluate(parseExpression("attribute:stack =~ '(a|a)*b'", 'filter'), literal), true, 'literal characters around a star')
  t.same(check('attribute:ecs.instance-type =~ t*o'), [true, false], 'a star in the middle')
  t.same(check('attribute:ecs.instance-type =~ t2'), [false, false], 'the whole value, not a part')
  t.same(check('attribute:ecs.instance-type =~ *'), [true, true])
  t.same(check('attribute:ecs.instance-type =~ t2.?icro'), [false, false], 'no other metacharacter: ? is literal')
  t.same(check('attribute:ecs.instance-type =~ t2.m**o'), [true, false], 'adjacent stars')
  t.same(check('attribute:ecs.instance-type =~ t2.micro*micro'), [false, false], 'pieces may not overlap')
})
