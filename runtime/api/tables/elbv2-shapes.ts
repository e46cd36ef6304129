// Elastic Load Balancing v2's shapes (API version 2015-12-01), as the
// service model defines them: for each operation its input (what the wire
// table decodes form members into) and its output (what the remote SDK reads
// the XML answer with). Only members that are not plain strings are listed,
// and required ones by name (query-shapes.ts). tests/api/elbv2-shapes.test.ts
// checks every operation here against the official SDK's model.

import { list, map, struct, type Shape, type StructShape } from '../query-shapes.js'

const S = 's'
const N = 'n'
const B = 'b'
const T = 't'
const strings = list(S)

const Tag = struct({}, ['Key'])
const Tags = list(Tag)
const Attribute = struct({})
const Matcher = struct({})
const Certificate = struct({ IsDefault: B })
const TargetDescription = struct({ Port: N }, ['Id'])
const SubnetMapping = struct({})

const Action = struct({
  AuthenticateOidcConfig: struct({ SessionTimeout: N, AuthenticationRequestExtraParams: map(S), UseExistingClientSecret: B },
    ['Issuer', 'AuthorizationEndpoint', 'TokenEndpoint', 'UserInfoEndpoint', 'ClientId']),
  AuthenticateCognitoConfig: struct({ SessionTimeout: N, AuthenticationRequestExtraParams: map(S) }, ['UserPoolArn', 'UserPoolClientId', 'UserPoolDomain']),
  Order: N,
  RedirectConfig: struct({}, ['StatusCode']),
  FixedResponseConfig: struct({}, ['StatusCode']),
  ForwardConfig: struct({
    TargetGroups: list(struct({ Weight: N })),
    TargetGroupStickinessConfig: struct({ Enabled: B, DurationSeconds: N })
  }),
  JwtValidationConfig: struct({ AdditionalClaims: list(struct({ Values: strings }, ['Format', 'Name', 'Values'])) }, ['JwksEndpoint', 'Issuer'])
}, ['Type'])
const Actions = list(Action)

const valuesAndRegex = struct({ Values: strings, RegexValues: strings })
const RuleCondition = struct({
  Values: strings,
  HostHeaderConfig: valuesAndRegex,
  PathPatternConfig: valuesAndRegex,
  HttpHeaderConfig: valuesAndRegex,
  QueryStringConfig: struct({ Values: list(struct({})) }),
  HttpRequestMethodConfig: struct({ Values: strings }),
  SourceIpConfig: struct({ Values: strings }),
  RegexValues: strings
})
const Rewrites = struct({ Rewrites: list(struct({}, ['Regex', 'Replace'])) })
const RuleTransform = struct({ HostHeaderRewriteConfig: Rewrites, UrlRewriteConfig: Rewrites }, ['Type'])
const MutualAuthentication = struct({ IgnoreClientCertificateExpiry: B })
const paged = { Marker: S, PageSize: N } as const

/** Each operation's input. */
export const ELBV2_INPUTS: Readonly<Record<string, StructShape>> = {
  CreateLoadBalancer: struct({ Subnets: strings, SubnetMappings: list(SubnetMapping), SecurityGroups: strings, Tags, IpamPools: struct({}) }, ['Name']),
  DescribeLoadBalancers: struct({ LoadBalancerArns: strings, Names: strings, ...paged }),
  DeleteLoadBalancer: struct({}, ['LoadBalancerArn']),
  DescribeLoadBalancerAttributes: struct({}, ['LoadBalancerArn']),
  ModifyLoadBalancerAttributes: struct({ Attributes: list(Attribute) }, ['LoadBalancerArn', 'Attributes']),
  SetSecurityGroups: struct({ SecurityGroups: strings }, ['LoadBalancerArn', 'SecurityGroups']),
  SetSubnets: struct({ Subnets: strings, SubnetMappings: list(SubnetMapping) }, ['LoadBalancerArn']),
  SetIpAddressType: struct({}, ['LoadBalancerArn', 'IpAddressType']),
  CreateTargetGroup: struct({
    Port: N, HealthCheckEnabled: B, HealthCheckIntervalSeconds: N, HealthCheckTimeoutSeconds: N, HealthyThresholdCount: N, UnhealthyThresholdCount: N,
    Matcher, Tags, TargetControlPort: N
  }, ['Name']),
  DescribeTargetGroups: struct({ TargetGroupArns: strings, Names: strings, ...paged }),
  ModifyTargetGroup: struct({
    HealthCheckEnabled: B, HealthCheckIntervalSeconds: N, HealthCheckTimeoutSeconds: N, HealthyThresholdCount: N, UnhealthyThresholdCount: N, Matcher
  }, ['TargetGroupArn']),
  ModifyTargetGroupAttributes: struct({ Attributes: list(Attribute) }, ['TargetGroupArn', 'Attributes']),
  DescribeTargetGroupAttributes: struct({}, ['TargetGroupArn']),
  DeleteTargetGroup: struct({}, ['TargetGroupArn']),
  RegisterTargets: struct({ Targets: list(TargetDescription) }, ['TargetGroupArn', 'Targets']),
  DeregisterTargets: struct({ Targets: list(TargetDescription) }, ['TargetGroupArn', 'Targets']),
  DescribeTargetHealth: struct({ Targets: list(TargetDescription), Include: strings }, ['TargetGroupArn']),
  CreateListener: struct({
    DefaultActions: Actions, Port: N, Certificates: list(Certificate), AlpnPolicy: strings, Tags, MutualAuthentication
  }, ['LoadBalancerArn', 'DefaultActions']),
  DescribeListeners: struct({ ListenerArns: strings, ...paged }),
  ModifyListener: struct({
    Port: N, Certificates: list(Certificate), DefaultActions: Actions, AlpnPolicy: strings, MutualAuthentication
  }, ['ListenerArn']),
  DeleteListener: struct({}, ['ListenerArn']),
  CreateRule: struct({ Conditions: list(RuleCondition), Priority: N, Actions, Tags, Transforms: list(RuleTransform) }, ['ListenerArn', 'Conditions', 'Priority', 'Actions']),
  DescribeRules: struct({ RuleArns: strings, ...paged }),
  ModifyRule: struct({ Conditions: list(RuleCondition), Actions, Transforms: list(RuleTransform), ResetTransforms: B }, ['RuleArn']),
  SetRulePriorities: struct({ RulePriorities: list(struct({ Priority: N })) }, ['RulePriorities']),
  DeleteRule: struct({}, ['RuleArn']),
  AddListenerCertificates: struct({ Certificates: list(Certificate) }, ['ListenerArn', 'Certificates']),
  RemoveListenerCertificates: struct({ Certificates: list(Certificate) }, ['ListenerArn', 'Certificates']),
  DescribeListenerCertificates: struct({ ...paged }, ['ListenerArn']),
  AddTags: struct({ ResourceArns: strings, Tags }, ['ResourceArns', 'Tags']),
  RemoveTags: struct({ ResourceArns: strings, TagKeys: strings }, ['ResourceArns', 'TagKeys']),
  DescribeTags: struct({ ResourceArns: strings }, ['ResourceArns']),
  DescribeSSLPolicies: struct({ Names: strings, ...paged })
}

const AvailabilityZone = struct({ LoadBalancerAddresses: list(struct({})), SourceNatIpv6Prefixes: strings })
const LoadBalancer = struct({ CreatedTime: T, State: struct({}), AvailabilityZones: list(AvailabilityZone), SecurityGroups: strings, IpamPools: struct({}) })
const TargetGroup = struct({
  Port: N, HealthCheckEnabled: B, HealthCheckIntervalSeconds: N, HealthCheckTimeoutSeconds: N, HealthyThresholdCount: N, UnhealthyThresholdCount: N,
  Matcher, LoadBalancerArns: strings, TargetControlPort: N
})
const Listener = struct({ Port: N, Certificates: list(Certificate), DefaultActions: Actions, AlpnPolicy: strings, MutualAuthentication })
const Rule = struct({ Conditions: list(RuleCondition), Actions, IsDefault: B, Transforms: list(RuleTransform) })
const TargetHealthDescription = struct({ Target: TargetDescription, TargetHealth: struct({}), AnomalyDetection: struct({}), AdministrativeOverride: struct({}) })
const SslPolicy = struct({ SslProtocols: strings, Ciphers: list(struct({ Priority: N })), SupportedLoadBalancerTypes: strings })
const none = struct({})

/** Each operation's output. */
export const ELBV2_OUTPUTS: Readonly<Record<string, StructShape>> = {
  CreateLoadBalancer: struct({ LoadBalancers: list(LoadBalancer) }),
  DescribeLoadBalancers: struct({ LoadBalancers: list(LoadBalancer) }),
  DeleteLoadBalancer: none,
  DescribeLoadBalancerAttributes: struct({ Attributes: list(Attribute) }),
  ModifyLoadBalancerAttributes: struct({ Attributes: list(Attribute) }),
  SetSecurityGroups: struct({ SecurityGroupIds: strings }),
  SetSubnets: struct({ AvailabilityZones: list(AvailabilityZone) }),
  SetIpAddressType: none,
  CreateTargetGroup: struct({ TargetGroups: list(TargetGroup) }),
  DescribeTargetGroups: struct({ TargetGroups: list(TargetGroup) }),
  ModifyTargetGroup: struct({ TargetGroups: list(TargetGroup) }),
  ModifyTargetGroupAttributes: struct({ Attributes: list(Attribute) }),
  DescribeTargetGroupAttributes: struct({ Attributes: list(Attribute) }),
  DeleteTargetGroup: none,
  RegisterTargets: none,
  DeregisterTargets: none,
  DescribeTargetHealth: struct({ TargetHealthDescriptions: list(TargetHealthDescription) }),
  CreateListener: struct({ Listeners: list(Listener) }),
  DescribeListeners: struct({ Listeners: list(Listener) }),
  ModifyListener: struct({ Listeners: list(Listener) }),
  DeleteListener: none,
  CreateRule: struct({ Rules: list(Rule) }),
  DescribeRules: struct({ Rules: list(Rule) }),
  ModifyRule: struct({ Rules: list(Rule) }),
  SetRulePriorities: struct({ Rules: list(Rule) }),
  DeleteRule: none,
  AddListenerCertificates: struct({ Certificates: list(Certificate) }),
  RemoveListenerCertificates: none,
  DescribeListenerCertificates: struct({ Certificates: list(Certificate) }),
  AddTags: none,
  RemoveTags: none,
  DescribeTags: struct({ TagDescriptions: list(struct({ Tags })) }),
  DescribeSSLPolicies: struct({ SslPolicies: list(SslPolicy) })
}

export type { Shape }
