// CreateService / UpdateService `loadBalancers`, checked as ECS checks them:
// the shape (at most 5, targetGroupArn, containerName, containerPort), then
// against the ELBv2 control plane (ctx.targets: the group exists and has a
// load balancer, its target type suits the definition's network mode) and
// the task definition (the container exists and maps that port). Blue/green
// entries carry advancedConfiguration (the alternate group, the production
// and test listener rules, the role). Refusals are InvalidParameterException
// worded as ECS words them, naming the member.

import type { DescribedAction, EcsContext } from './context.js'
import { invalidParameter } from './errors.js'
import type { LoadBalancer } from './model-services.js'
import { SERVICE_LIMITS } from './service-validation.js'

export interface AdvancedConfiguration {
  alternateTargetGroupArn: string
  productionListenerRule: string
  testListenerRule?: string
  roleArn: string
}

export type ServiceLoadBalancer = LoadBalancer & { advancedConfiguration?: AdvancedConfiguration }

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

const RULE_OR_LISTENER = /^arn:[^:]+:elasticloadbalancing:[^:]*:[^:]*:listener(-rule)?\/(app|net)\/[^/]+\/[^/]+\/[^/]+(\/[^/]+)?$/

function checkAdvanced(value: unknown, f: string, blueGreen: boolean): AdvancedConfiguration | undefined {
  if (value === undefined) {
    if (blueGreen) throw invalidParameter(`${f}.advancedConfiguration`, `${f}.advancedConfiguration is required for a blue/green, linear or canary deployment: the alternate target group, the production listener rule and the role.`)
    return undefined
  }
  if (!blueGreen) throw invalidParameter(`${f}.advancedConfiguration`, `${f}.advancedConfiguration is only valid when deploymentConfiguration.strategy is BLUE_GREEN, LINEAR or CANARY.`)
  if (!isObject(value)) throw invalidParameter(`${f}.advancedConfiguration`, `${f}.advancedConfiguration must be an object.`)
  const known = new Set(['alternateTargetGroupArn', 'productionListenerRule', 'testListenerRule', 'roleArn'])
  for (const key of Object.keys(value)) if (!known.has(key)) throw invalidParameter(`${f}.advancedConfiguration.${key}`, `${f}.advancedConfiguration.${key} is not a member of AdvancedConfiguration.`)
  for (const key of ['alternateTargetGroupArn', 'productionListenerRule', 'roleArn']) {
    if (typeof value[key] !== 'string' || (value[key] as string).length === 0) throw invalidParameter(`${f}.advancedConfiguration.${key}`, `${f}.advancedConfiguration.${key} is required.`)
  }
  for (const key of ['productionListenerRule', 'testListenerRule']) {
    const v = value[key]
    if (v !== undefined && (typeof v !== 'string' || !RULE_OR_LISTENER.test(v))) {
      throw invalidParameter(`${f}.advancedConfiguration.${key}`, `${f}.advancedConfiguration.${key} must be the ARN of a listener rule (Application Load Balancer) or a listener (Network Load Balancer), got ${JSON.stringify(v)}.`)
    }
  }
  if (!/^arn:[^:]+:iam::\d{12}:role\/.+$/.test(String(value.roleArn))) throw invalidParameter(`${f}.advancedConfiguration.roleArn`, `${f}.advancedConfiguration.roleArn must be an IAM role ARN.`)
  return {
    alternateTargetGroupArn: String(value.alternateTargetGroupArn), productionListenerRule: String(value.productionListenerRule),
    ...(value.testListenerRule !== undefined ? { testListenerRule: String(value.testListenerRule) } : {}), roleArn: String(value.roleArn)
  }
}

/** The list's own rules (no store, no registry). */
export function checkLoadBalancerShapes(value: unknown, blueGreen: boolean, field = 'loadBalancers'): ServiceLoadBalancer[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) throw invalidParameter(field, `${field} must be a list.`)
  if (value.length > SERVICE_LIMITS.loadBalancers) {
    throw invalidParameter(field, `${field}: a service can have at most ${SERVICE_LIMITS.loadBalancers} target groups, got ${value.length}.`, SERVICE_LIMITS.loadBalancers)
  }
  const seen = new Set<string>()
  return value.map((lb: unknown, i): ServiceLoadBalancer => {
    const f = `${field}[${i}]`
    if (!isObject(lb)) throw invalidParameter(f, `${f} must be an object.`)
    if (lb.loadBalancerName !== undefined) throw invalidParameter(`${f}.loadBalancerName`, `${f}.loadBalancerName: Classic Load Balancers are not supported; name an Application or Network Load Balancer's target group with targetGroupArn.`)
    if (typeof lb.targetGroupArn !== 'string' || lb.targetGroupArn.length === 0) throw invalidParameter(`${f}.targetGroupArn`, `${f}.targetGroupArn is required.`)
    if (typeof lb.containerName !== 'string' || lb.containerName.length === 0) throw invalidParameter(`${f}.containerName`, `${f}.containerName is required: the container to associate with the load balancer.`)
    if (typeof lb.containerPort !== 'number' || !Number.isInteger(lb.containerPort) || lb.containerPort < 1 || lb.containerPort > 65535) {
      throw invalidParameter(`${f}.containerPort`, `${f}.containerPort is required: a port from 1 to 65535 of the container's portMappings.`, 65535)
    }
    const key = `${lb.targetGroupArn} ${lb.containerName} ${lb.containerPort}`
    if (seen.has(key)) throw invalidParameter(f, `${f}: target group ${lb.targetGroupArn} with container ${lb.containerName}:${lb.containerPort} is listed twice.`)
    seen.add(key)
    const advanced = checkAdvanced(lb.advancedConfiguration, f, blueGreen)
    if (advanced !== undefined && advanced.alternateTargetGroupArn === lb.targetGroupArn) {
      throw invalidParameter(`${f}.advancedConfiguration.alternateTargetGroupArn`, `${f}.advancedConfiguration.alternateTargetGroupArn must differ from targetGroupArn.`)
    }
    return { targetGroupArn: lb.targetGroupArn, containerName: lb.containerName, containerPort: lb.containerPort, ...(advanced !== undefined ? { advancedConfiguration: advanced } : {}) }
  })
}

function checkGroup(ctx: EcsContext, arn: string, f: string, networkMode: string): void {
  const group = ctx.targets?.describe(arn)
  if (group === undefined) throw invalidParameter(f, `The target group with targetGroupArn ${arn} does not exist.`)
  if (group.loadBalancerArns.length === 0) throw invalidParameter(f, `The target group with targetGroupArn ${arn} does not have an associated load balancer.`)
  const needed = networkMode === 'awsvpc' ? 'ip' : 'instance'
  if (group.targetType !== needed) {
    throw invalidParameter(f, `The provided target group ${arn} has target type ${group.targetType}, which is incompatible with the ${networkMode} network mode specified in the task definition.`)
  }
}

/** Each entry against the target groups and the task definition the service deploys. */
export function checkLoadBalancersFit(ctx: EcsContext, list: readonly ServiceLoadBalancer[], td: Record<string, any>, field = 'loadBalancers'): void {
  const networkMode = String(td.networkMode ?? 'bridge')
  list.forEach((lb, i) => {
    const f = `${field}[${i}]`
    checkGroup(ctx, String(lb.targetGroupArn), `${f}.targetGroupArn`, networkMode)
    if (lb.advancedConfiguration !== undefined) checkGroup(ctx, lb.advancedConfiguration.alternateTargetGroupArn, `${f}.advancedConfiguration.alternateTargetGroupArn`, networkMode)
    const container = (td.containerDefinitions ?? []).find((c: Record<string, any>) => c.name === lb.containerName)
    if (container === undefined) throw invalidParameter(`${f}.containerName`, `The container ${String(lb.containerName)} does not exist in the task definition.`)
    const mapped = (container.portMappings ?? []).some((m: Record<string, any>) => m.containerPort === lb.containerPort && (m.protocol ?? 'tcp') === 'tcp')
    if (!mapped) throw invalidParameter(`${f}.containerPort`, `The container ${String(lb.containerName)} did not have a container port ${String(lb.containerPort)} defined.`)
  })
}

function forwardsTo(actions: readonly DescribedAction[] | undefined): string[] {
  const out: string[] = []
  for (const a of actions ?? []) {
    if (a.Type !== 'forward') continue
    if (a.TargetGroupArn !== undefined) out.push(a.TargetGroupArn)
    for (const g of a.ForwardConfig?.TargetGroups ?? []) if (g.TargetGroupArn !== undefined) out.push(g.TargetGroupArn)
  }
  return out
}

/**
 * The production and test listener rules (or NLB listeners) of each
 * advancedConfiguration exist and forward to the entry's target group or its
 * alternate (what ECS shifts between).
 */
export async function checkListenerRules(ctx: EcsContext, list: readonly ServiceLoadBalancer[], field = 'loadBalancers'): Promise<void> {
  const traffic = ctx.traffic
  for (const [i, lb] of list.entries()) {
    const advanced = lb.advancedConfiguration
    if (advanced === undefined) continue
    if (traffic === undefined) throw invalidParameter(`${field}[${i}].advancedConfiguration`, 'Blue/green deployments need the Elastic Load Balancing listeners of this engine, which it does not have.')
    for (const key of ['productionListenerRule', 'testListenerRule'] as const) {
      const arn = advanced[key]
      if (arn === undefined) continue
      const f = `${field}[${i}].advancedConfiguration.${key}`
      let actions: DescribedAction[] | undefined
      try {
        if (arn.includes(':listener-rule/')) {
          if (traffic.describeRules === undefined) continue
          actions = (await traffic.describeRules({ RuleArns: [arn] })).Rules?.[0]?.Actions
        } else {
          if (traffic.describeListeners === undefined) continue
          actions = (await traffic.describeListeners({ ListenerArns: [arn] })).Listeners?.[0]?.DefaultActions
        }
      } catch {
        throw invalidParameter(f, `The ${key === 'productionListenerRule' ? 'production' : 'test'} listener rule ${arn} does not exist.`)
      }
      const groups = forwardsTo(actions)
      if (!groups.includes(String(lb.targetGroupArn)) && !groups.includes(advanced.alternateTargetGroupArn)) {
        throw invalidParameter(f, `The listener rule ${arn} does not forward to the target group ${String(lb.targetGroupArn)} or its alternate ${advanced.alternateTargetGroupArn}.`)
      }
    }
  }
}
