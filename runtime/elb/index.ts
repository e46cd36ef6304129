// Elastic Load Balancing v2's control plane (see README.md).

export { Elbv2, type Elbv2Options, type LoadBalancerName } from './service.js'
export { ELBV2_ERRORS, Elbv2Error, type Elbv2ErrorCode } from './errors.js'
export { ELBV2_OPERATION_NAMES, type Elbv2Operations } from './model.js'
export type * from './model.js'
export { DEFAULT_ELB_QUOTAS, VPC_ID, DEFAULT_SECURITY_GROUP, type ElbQuotas } from './context.js'
export { LB_ADDRESS_RANGE, isLoadBalancerAddress } from './addresses.js'
export { PROVISIONING_MS } from './load-balancers.js'
export { subnetOf } from './load-balancer-network.js'
export { LOAD_BALANCERS, TARGET_GROUPS, LISTENERS, RULES } from './records.js'
