// The Elastic Load Balancing v2 service as the wire table and the SDK see it:
// ELBv2's request and response shapes (PascalCase, field for field from the
// service model @aws-sdk/client-elastic-load-balancing-v2 ships; members this
// engine does not implement — trust stores, capacity reservations, IPAM,
// authenticate actions — are left out or accepted and ignored) and one method
// per operation. Every member is optional where the model has it optional;
// the operations check what the model says is required.
//
// Timestamps (LoadBalancer.CreatedTime) are epoch-ms numbers (the engine's
// clock); the wire table turns them into ISO 8601 timestamps.

export type LoadBalancerType = 'application' | 'network' | 'gateway'
export type LoadBalancerScheme = 'internet-facing' | 'internal'
export type LoadBalancerStateCode = 'active' | 'provisioning' | 'active_impaired' | 'failed'
export type IpAddressType = 'ipv4' | 'dualstack' | 'dualstack-without-public-ipv4'
export type ProtocolEnum = 'HTTP' | 'HTTPS' | 'TCP' | 'TLS' | 'UDP' | 'TCP_UDP' | 'GENEVE' | 'QUIC' | 'TCP_QUIC'
export type TargetTypeEnum = 'instance' | 'ip' | 'lambda' | 'alb'
export type ActionTypeEnum = 'forward' | 'redirect' | 'fixed-response' | 'authenticate-oidc' | 'authenticate-cognito' | 'jwt-validation'
export type TargetHealthStateEnum = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable' | 'unhealthy.draining'
export type TargetHealthReasonEnum =
  | 'Elb.RegistrationInProgress' | 'Elb.InitialHealthChecking' | 'Target.ResponseCodeMismatch' | 'Target.Timeout'
  | 'Target.FailedHealthChecks' | 'Target.NotRegistered' | 'Target.NotInUse' | 'Target.DeregistrationInProgress'
  | 'Target.InvalidState' | 'Target.IpUnusable' | 'Target.HealthCheckDisabled' | 'Elb.InternalError'

export interface Tag { Key: string; Value?: string }
export interface TagDescription { ResourceArn?: string; Tags?: Tag[] }
/** A Key/Value attribute of a load balancer, target group or listener. */
export interface Attribute { Key?: string; Value?: string }

// ---- actions and conditions

export interface FixedResponseActionConfig { MessageBody?: string; StatusCode: string; ContentType?: string }
export interface TargetGroupTuple { TargetGroupArn?: string; Weight?: number }
export interface TargetGroupStickinessConfig { Enabled?: boolean; DurationSeconds?: number }
export interface ForwardActionConfig { TargetGroups?: TargetGroupTuple[]; TargetGroupStickinessConfig?: TargetGroupStickinessConfig }
export interface RedirectActionConfig {
  Protocol?: string
  Port?: string
  Host?: string
  Path?: string
  Query?: string
  StatusCode: 'HTTP_301' | 'HTTP_302'
}
export interface Action {
  Type: ActionTypeEnum
  TargetGroupArn?: string
  Order?: number
  RedirectConfig?: RedirectActionConfig
  FixedResponseConfig?: FixedResponseActionConfig
  ForwardConfig?: ForwardActionConfig
  /** Not implemented (InvalidLoadBalancerAction); kept so a request naming them decodes. */
  AuthenticateOidcConfig?: Record<string, unknown>
  AuthenticateCognitoConfig?: Record<string, unknown>
  JwtValidationConfig?: Record<string, unknown>
}

export interface HostHeaderConditionConfig { Values?: string[]; RegexValues?: string[] }
export interface HttpHeaderConditionConfig { HttpHeaderName?: string; Values?: string[]; RegexValues?: string[] }
export interface HttpRequestMethodConditionConfig { Values?: string[] }
export interface PathPatternConditionConfig { Values?: string[]; RegexValues?: string[] }
export interface QueryStringKeyValuePair { Key?: string; Value?: string }
export interface QueryStringConditionConfig { Values?: QueryStringKeyValuePair[] }
export interface SourceIpConditionConfig { Values?: string[]; IpAddressType?: 'ipv4' | 'ipv6' }
export interface RuleCondition {
  /** path-pattern, host-header, http-header, http-request-method, query-string, source-ip. */
  Field?: string
  /** The legacy form (path-pattern and host-header only). */
  Values?: string[]
  HostHeaderConfig?: HostHeaderConditionConfig
  PathPatternConfig?: PathPatternConditionConfig
  HttpHeaderConfig?: HttpHeaderConditionConfig
  QueryStringConfig?: QueryStringConditionConfig
  HttpRequestMethodConfig?: HttpRequestMethodConditionConfig
  SourceIpConfig?: SourceIpConditionConfig
  RegexValues?: string[]
}

// ---- load balancers

export interface SubnetMapping { SubnetId?: string; AllocationId?: string; PrivateIPv4Address?: string; IPv6Address?: string }
export interface LoadBalancerAddress { IpAddress?: string; AllocationId?: string; PrivateIPv4Address?: string; IPv6Address?: string }
export interface AvailabilityZone { ZoneName?: string; SubnetId?: string; OutpostId?: string; LoadBalancerAddresses?: LoadBalancerAddress[] }
export interface LoadBalancerState { Code?: LoadBalancerStateCode; Reason?: string }
export interface LoadBalancer {
  LoadBalancerArn?: string
  /** The load balancer's 127.x address (listeners bind there). */
  DNSName?: string
  CanonicalHostedZoneId?: string
  /** Epoch ms. */
  CreatedTime?: number
  LoadBalancerName?: string
  Scheme?: LoadBalancerScheme
  VpcId?: string
  State?: LoadBalancerState
  Type?: LoadBalancerType
  AvailabilityZones?: AvailabilityZone[]
  SecurityGroups?: string[]
  IpAddressType?: IpAddressType
  /** Network Load Balancers with security groups: `on` (default) or `off`. */
  EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic?: string
}

export interface CreateLoadBalancerInput {
  Name: string
  Subnets?: string[]
  SubnetMappings?: SubnetMapping[]
  SecurityGroups?: string[]
  Scheme?: LoadBalancerScheme
  Tags?: Tag[]
  Type?: LoadBalancerType
  IpAddressType?: IpAddressType
  CustomerOwnedIpv4Pool?: string
}
export interface CreateLoadBalancerOutput { LoadBalancers?: LoadBalancer[] }
export interface DescribeLoadBalancersInput { LoadBalancerArns?: string[]; Names?: string[]; Marker?: string; PageSize?: number }
export interface DescribeLoadBalancersOutput { LoadBalancers?: LoadBalancer[]; NextMarker?: string }
export interface DeleteLoadBalancerInput { LoadBalancerArn: string }
export interface DescribeLoadBalancerAttributesInput { LoadBalancerArn: string }
export interface DescribeLoadBalancerAttributesOutput { Attributes?: Attribute[] }
export interface ModifyLoadBalancerAttributesInput { LoadBalancerArn: string; Attributes: Attribute[] }
export interface ModifyLoadBalancerAttributesOutput { Attributes?: Attribute[] }
export interface SetSecurityGroupsInput { LoadBalancerArn: string; SecurityGroups: string[]; EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic?: 'on' | 'off' }
export interface SetSecurityGroupsOutput { SecurityGroupIds?: string[]; EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic?: string }
export interface SetSubnetsInput {
  LoadBalancerArn: string
  Subnets?: string[]
  SubnetMappings?: SubnetMapping[]
  IpAddressType?: IpAddressType
  EnablePrefixForIpv6SourceNat?: 'on' | 'off'
}
export interface SetSubnetsOutput { AvailabilityZones?: AvailabilityZone[]; IpAddressType?: IpAddressType }
export interface SetIpAddressTypeInput { LoadBalancerArn: string; IpAddressType: IpAddressType }
export interface SetIpAddressTypeOutput { IpAddressType?: IpAddressType }

// ---- target groups and targets

export interface Matcher { HttpCode?: string; GrpcCode?: string }
export interface TargetGroup {
  TargetGroupArn?: string
  TargetGroupName?: string
  Protocol?: ProtocolEnum
  Port?: number
  VpcId?: string
  HealthCheckProtocol?: ProtocolEnum
  HealthCheckPort?: string
  HealthCheckEnabled?: boolean
  HealthCheckIntervalSeconds?: number
  HealthCheckTimeoutSeconds?: number
  HealthyThresholdCount?: number
  UnhealthyThresholdCount?: number
  HealthCheckPath?: string
  Matcher?: Matcher
  LoadBalancerArns?: string[]
  TargetType?: TargetTypeEnum
  ProtocolVersion?: string
  IpAddressType?: 'ipv4' | 'ipv6'
}
export interface CreateTargetGroupInput {
  Name: string
  Protocol?: ProtocolEnum
  ProtocolVersion?: string
  Port?: number
  VpcId?: string
  HealthCheckProtocol?: ProtocolEnum
  HealthCheckPort?: string
  HealthCheckEnabled?: boolean
  HealthCheckPath?: string
  HealthCheckIntervalSeconds?: number
  HealthCheckTimeoutSeconds?: number
  HealthyThresholdCount?: number
  UnhealthyThresholdCount?: number
  Matcher?: Matcher
  TargetType?: TargetTypeEnum
  Tags?: Tag[]
  IpAddressType?: 'ipv4' | 'ipv6'
}
export interface CreateTargetGroupOutput { TargetGroups?: TargetGroup[] }
export interface DescribeTargetGroupsInput { LoadBalancerArn?: string; TargetGroupArns?: string[]; Names?: string[]; Marker?: string; PageSize?: number }
export interface DescribeTargetGroupsOutput { TargetGroups?: TargetGroup[]; NextMarker?: string }
export interface ModifyTargetGroupInput {
  TargetGroupArn: string
  HealthCheckProtocol?: ProtocolEnum
  HealthCheckPort?: string
  HealthCheckPath?: string
  HealthCheckEnabled?: boolean
  HealthCheckIntervalSeconds?: number
  HealthCheckTimeoutSeconds?: number
  HealthyThresholdCount?: number
  UnhealthyThresholdCount?: number
  Matcher?: Matcher
}
export interface ModifyTargetGroupOutput { TargetGroups?: TargetGroup[] }
export interface DescribeTargetGroupAttributesInput { TargetGroupArn: string }
export interface DescribeTargetGroupAttributesOutput { Attributes?: Attribute[] }
export interface ModifyTargetGroupAttributesInput { TargetGroupArn: string; Attributes: Attribute[] }
export interface ModifyTargetGroupAttributesOutput { Attributes?: Attribute[] }
export interface DeleteTargetGroupInput { TargetGroupArn: string }

export interface TargetDescription { Id: string; Port?: number; AvailabilityZone?: string }
export interface RegisterTargetsInput { TargetGroupArn: string; Targets: TargetDescription[] }
export interface DeregisterTargetsInput { TargetGroupArn: string; Targets: TargetDescription[] }
export interface TargetHealth { State?: TargetHealthStateEnum; Reason?: TargetHealthReasonEnum; Description?: string }
export interface AnomalyDetection { Result?: 'anomalous' | 'normal'; MitigationInEffect?: 'yes' | 'no' }
export interface TargetHealthDescription { Target?: TargetDescription; HealthCheckPort?: string; TargetHealth?: TargetHealth; AnomalyDetection?: AnomalyDetection }
export interface DescribeTargetHealthInput { TargetGroupArn: string; Targets?: TargetDescription[]; Include?: Array<'AnomalyDetection' | 'All'> }
export interface DescribeTargetHealthOutput { TargetHealthDescriptions?: TargetHealthDescription[] }

// ---- listeners and certificates

export interface Certificate { CertificateArn?: string; IsDefault?: boolean }
export interface Listener {
  ListenerArn?: string
  LoadBalancerArn?: string
  Port?: number
  Protocol?: ProtocolEnum
  /** The default certificate only (AddListenerCertificates' others are in DescribeListenerCertificates). */
  Certificates?: Certificate[]
  SslPolicy?: string
  DefaultActions?: Action[]
  AlpnPolicy?: string[]
}
export interface CreateListenerInput {
  LoadBalancerArn: string
  Protocol?: ProtocolEnum
  Port?: number
  SslPolicy?: string
  Certificates?: Certificate[]
  DefaultActions: Action[]
  AlpnPolicy?: string[]
  Tags?: Tag[]
}
export interface CreateListenerOutput { Listeners?: Listener[] }
export interface DescribeListenersInput { LoadBalancerArn?: string; ListenerArns?: string[]; Marker?: string; PageSize?: number }
export interface DescribeListenersOutput { Listeners?: Listener[]; NextMarker?: string }
export interface ModifyListenerInput {
  ListenerArn: string
  Port?: number
  Protocol?: ProtocolEnum
  SslPolicy?: string
  Certificates?: Certificate[]
  DefaultActions?: Action[]
  AlpnPolicy?: string[]
}
export interface ModifyListenerOutput { Listeners?: Listener[] }
export interface DeleteListenerInput { ListenerArn: string }
export interface AddListenerCertificatesInput { ListenerArn: string; Certificates: Certificate[] }
export interface AddListenerCertificatesOutput { Certificates?: Certificate[] }
export interface RemoveListenerCertificatesInput { ListenerArn: string; Certificates: Certificate[] }
export interface DescribeListenerCertificatesInput { ListenerArn: string; Marker?: string; PageSize?: number }
export interface DescribeListenerCertificatesOutput { Certificates?: Certificate[]; NextMarker?: string }

// ---- rules

export interface Rule {
  RuleArn?: string
  /** A number as a string, or `default`. */
  Priority?: string
  Conditions?: RuleCondition[]
  Actions?: Action[]
  IsDefault?: boolean
}
export interface CreateRuleInput { ListenerArn: string; Conditions: RuleCondition[]; Priority: number; Actions: Action[]; Tags?: Tag[] }
export interface CreateRuleOutput { Rules?: Rule[] }
export interface DescribeRulesInput { ListenerArn?: string; RuleArns?: string[]; Marker?: string; PageSize?: number }
export interface DescribeRulesOutput { Rules?: Rule[]; NextMarker?: string }
export interface ModifyRuleInput { RuleArn: string; Conditions?: RuleCondition[]; Actions?: Action[] }
export interface ModifyRuleOutput { Rules?: Rule[] }
export interface RulePriorityPair { RuleArn?: string; Priority?: number }
export interface SetRulePrioritiesInput { RulePriorities: RulePriorityPair[] }
export interface SetRulePrioritiesOutput { Rules?: Rule[] }
export interface DeleteRuleInput { RuleArn: string }

// ---- tags and SSL policies

export interface AddTagsInput { ResourceArns: string[]; Tags: Tag[] }
export interface RemoveTagsInput { ResourceArns: string[]; TagKeys: string[] }
export interface DescribeTagsInput { ResourceArns: string[] }
export interface DescribeTagsOutput { TagDescriptions?: TagDescription[] }

export interface Cipher { Name?: string; Priority?: number }
export interface SslPolicy { SslProtocols?: string[]; Ciphers?: Cipher[]; Name?: string; SupportedLoadBalancerTypes?: string[] }
export interface DescribeSSLPoliciesInput { Names?: string[]; Marker?: string; PageSize?: number; LoadBalancerType?: LoadBalancerType }
export interface DescribeSSLPoliciesOutput { SslPolicies?: SslPolicy[]; NextMarker?: string }

/** An operation whose ELBv2 output has no members. */
export type Empty = Record<string, never>

export interface Elbv2Operations {
  createLoadBalancer(input: CreateLoadBalancerInput): Promise<CreateLoadBalancerOutput>
  describeLoadBalancers(input: DescribeLoadBalancersInput): Promise<DescribeLoadBalancersOutput>
  deleteLoadBalancer(input: DeleteLoadBalancerInput): Promise<Empty>
  describeLoadBalancerAttributes(input: DescribeLoadBalancerAttributesInput): Promise<DescribeLoadBalancerAttributesOutput>
  modifyLoadBalancerAttributes(input: ModifyLoadBalancerAttributesInput): Promise<ModifyLoadBalancerAttributesOutput>
  setSecurityGroups(input: SetSecurityGroupsInput): Promise<SetSecurityGroupsOutput>
  setSubnets(input: SetSubnetsInput): Promise<SetSubnetsOutput>
  setIpAddressType(input: SetIpAddressTypeInput): Promise<SetIpAddressTypeOutput>
  createTargetGroup(input: CreateTargetGroupInput): Promise<CreateTargetGroupOutput>
  describeTargetGroups(input: DescribeTargetGroupsInput): Promise<DescribeTargetGroupsOutput>
  modifyTargetGroup(input: ModifyTargetGroupInput): Promise<ModifyTargetGroupOutput>
  modifyTargetGroupAttributes(input: ModifyTargetGroupAttributesInput): Promise<ModifyTargetGroupAttributesOutput>
  describeTargetGroupAttributes(input: DescribeTargetGroupAttributesInput): Promise<DescribeTargetGroupAttributesOutput>
  deleteTargetGroup(input: DeleteTargetGroupInput): Promise<Empty>
  registerTargets(input: RegisterTargetsInput): Promise<Empty>
  deregisterTargets(input: DeregisterTargetsInput): Promise<Empty>
  describeTargetHealth(input: DescribeTargetHealthInput): Promise<DescribeTargetHealthOutput>
  createListener(input: CreateListenerInput): Promise<CreateListenerOutput>
  describeListeners(input: DescribeListenersInput): Promise<DescribeListenersOutput>
  modifyListener(input: ModifyListenerInput): Promise<ModifyListenerOutput>
  deleteListener(input: DeleteListenerInput): Promise<Empty>
  createRule(input: CreateRuleInput): Promise<CreateRuleOutput>
  describeRules(input: DescribeRulesInput): Promise<DescribeRulesOutput>
  modifyRule(input: ModifyRuleInput): Promise<ModifyRuleOutput>
  setRulePriorities(input: SetRulePrioritiesInput): Promise<SetRulePrioritiesOutput>
  deleteRule(input: DeleteRuleInput): Promise<Empty>
  addListenerCertificates(input: AddListenerCertificatesInput): Promise<AddListenerCertificatesOutput>
  removeListenerCertificates(input: RemoveListenerCertificatesInput): Promise<Empty>
  describeListenerCertificates(input: DescribeListenerCertificatesInput): Promise<DescribeListenerCertificatesOutput>
  addTags(input: AddTagsInput): Promise<Empty>
  removeTags(input: RemoveTagsInput): Promise<Empty>
  describeTags(input: DescribeTagsInput): Promise<DescribeTagsOutput>
  describeSSLPolicies(input: DescribeSSLPoliciesInput): Promise<DescribeSSLPoliciesOutput>
}

/** The operations' method names, in the order above (the wire table's operation names are these, capitalised). */
export const ELBV2_OPERATION_NAMES = [
  'createLoadBalancer', 'describeLoadBalancers', 'deleteLoadBalancer', 'describeLoadBalancerAttributes', 'modifyLoadBalancerAttributes',
  'setSecurityGroups', 'setSubnets', 'setIpAddressType',
  'createTargetGroup', 'describeTargetGroups', 'modifyTargetGroup', 'modifyTargetGroupAttributes', 'describeTargetGroupAttributes',
  'deleteTargetGroup', 'registerTargets', 'deregisterTargets', 'describeTargetHealth', 'createListener', 'describeListeners',
  'modifyListener', 'deleteListener', 'createRule', 'describeRules', 'modifyRule', 'setRulePriorities', 'deleteRule',
  'addListenerCertificates', 'removeListenerCertificates', 'describeListenerCertificates', 'addTags', 'removeTags', 'describeTags',
  'describeSSLPolicies'
] as const satisfies readonly (keyof Elbv2Operations)[]
