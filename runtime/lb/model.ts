// The load balancers' data plane works from plain configurations: the ELBv2
// control plane (runtime/elb/) turns its store records into them, and
// Lightsail's load balancers will too. The data plane never reads the store;
// it holds what it is given and reports target health back.
//
//   control plane ──TargetGroupConfig──► TargetGroupRuntime (targets, health checks, draining, picking)
//                 ──LoadBalancerConfig─► listeners (HTTP/HTTPS: http/, TCP/TLS: tcp.ts)
//   LbPlane (plane.ts) owns both and binds listeners on the load balancer's 127.x address.
//
// Times are milliseconds on the engine's Clock (health check intervals,
// timeouts, deregistration delay, slow start, stickiness duration).

import type { Clock } from '../clock/clock.js'

export type TargetGroupProtocol = 'HTTP' | 'HTTPS' | 'TCP' | 'TLS' | 'UDP' | 'TCP_UDP'
export type ListenerProtocol = 'HTTP' | 'HTTPS' | 'TCP' | 'TLS' | 'UDP' | 'TCP_UDP'
export type Algorithm = 'round_robin' | 'least_outstanding_requests' | 'weighted_random'

export interface HealthCheckConfig {
  enabled: boolean
  protocol: 'HTTP' | 'HTTPS' | 'TCP'
  /** 'traffic-port': the target's own port. */
  port: 'traffic-port' | number
  /** HTTP(S) only (ALB default `/`). */
  path: string
  intervalMs: number
  timeoutMs: number
  healthyThreshold: number
  unhealthyThreshold: number
  /** HTTP codes as ELBv2 writes them: `200`, `200,202`, `200-299`. */
  matcher: string
}

export interface StickinessConfig {
  enabled: boolean
  /** lb_cookie (ALB's AWSALB cookie), app_cookie (the application's cookie, AWSALBAPP), source_ip (NLB). */
  type: 'lb_cookie' | 'app_cookie' | 'source_ip'
  /** lb_cookie / app_cookie duration (ALB: 1–604800 s, default 86400 s). */
  durationMs: number
  /** app_cookie only. */
  appCookieName?: string
}

export interface TargetGroupConfig {
  /** The target group's ARN. */
  key: string
  name: string
  protocol: TargetGroupProtocol
  /** The default port of targets registered without one. */
  port: number
  targetType: 'ip' | 'instance'
  healthCheck: HealthCheckConfig
  /** ELBv2 default 300 s (0–3600 s). */
  deregistrationDelayMs: number
  /** 0 (off) or 30–900 s. */
  slowStartMs: number
  algorithm: Algorithm
  /** weighted_random only: anomalous targets get less traffic (load_balancing.algorithm.anomaly_mitigation). */
  anomalyMitigation?: boolean
  stickiness: StickinessConfig
  /**
   * Routing failover (target_group_health.unhealthy_state_routing.minimum_healthy_targets): with
   * fewer healthy targets than `count` (default 1), or a smaller share of the registered ones
   * than `percentage` (1–100; off by default), traffic goes to every target, unhealthy included.
   */
  minimumHealthy?: { count: number; percentage?: number }
  /** NLB (deregistration_delay.connection_termination.enabled): connections still open to a draining target end with the delay. */
  terminateOnDeregistration?: boolean
  /** NLB (target_health_state.unhealthy.connection_termination.enabled): a target turning unhealthy has its connections ended. */
  terminateWhenUnhealthy?: boolean
  /** NLB (preserve_client_ip.enabled): connections to targets come from the client's own 127.x address, not the load balancer's. */
  preserveClientIp?: boolean
  /** NLB (proxy_protocol_v2.enabled): each TCP connection to a target starts with a PROXY protocol v2 header (client and listener addresses). */
  proxyProtocolV2?: boolean
}

export interface TargetSpec {
  /** The Id as registered: an IPv4 address in 127.0.0.0/8 or an instance id. */
  id: string
  port: number
  /** Where connections go (127.x): the id itself for ip targets, the instance's address (resolved by the control plane) for instance targets. */
  host: string
  availabilityZone?: string
  /**
   * Whether the target exists to take traffic, asked before each health check
   * (an instance target: its instance is still known to the engine). False:
   * `unused` Target.InvalidState, no checks and no traffic, until it is true again.
   * Absent: always.
   */
  usable?: () => boolean
}

export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable'

/** ELBv2's TargetHealthReasonEnum. */
export type TargetReason =
  | 'Elb.RegistrationInProgress' | 'Elb.InitialHealthChecking' | 'Target.ResponseCodeMismatch' | 'Target.Timeout'
  | 'Target.FailedHealthChecks' | 'Target.NotRegistered' | 'Target.NotInUse' | 'Target.DeregistrationInProgress'
  | 'Target.InvalidState' | 'Target.IpUnusable' | 'Target.HealthCheckDisabled' | 'Elb.InternalError'

export interface TargetHealth {
  id: string
  port: number
  host: string
  /** The health check's port as DescribeTargetHealth reports it. */
  healthCheckPort: string
  state: TargetState
  reason?: TargetReason
  description?: string
  /** weighted_random HTTP(S) groups: anomaly detection's verdict (DescribeTargetHealth Include AnomalyDetection). */
  anomaly?: { result: 'anomalous' | 'normal'; mitigationInEffect: 'yes' | 'no' }
}

export interface PickRequest {
  /** The client's address (source_ip stickiness; the weighted_random seed is the group's). */
  sourceIp: string
  /** The sticky key the client's cookie carries (a Picked.key given earlier), if any. */
  sticky?: string
}

export interface Picked {
  target: TargetSpec
  /** `<id>:<port>`: what a sticky cookie carries. */
  key: string
  /**
   * Called once when the request (HTTP) or connection (TCP) ends: the
   * outstanding count LOR and draining use. outcome (HTTP): whether the
   * target failed it (a 5xx, refused, reset, timed out) — anomaly detection's
   * input; undefined: not the target's doing (the client left).
   */
  release(outcome?: 'success' | 'error'): void
  /**
   * NLB connection termination: `end` is called if the group ends the connection (its target
   * drained with connection termination on, or turned unhealthy with unhealthy termination on),
   * until release().
   */
  onTerminate(end: () => void): void
}

/** One target group at run time: its targets, their health, draining, and the choice of a target. */
export interface TargetGroupRuntime {
  readonly config: TargetGroupConfig
  /** New settings (health check, attributes); targets are kept, health checks rescheduled. */
  update(config: TargetGroupConfig): void
  /** Adds targets (state initial, Elb.RegistrationInProgress until the first check); registering one already there is a no-op. */
  register(targets: readonly TargetSpec[]): void
  /**
   * Starts draining: no new requests; the target leaves when its in-flight
   * count reaches 0 or when the deregistration delay has passed, whichever
   * comes first (ALB's rule).
   */
  deregister(targets: readonly { id: string; port: number }[]): void
  /**
   * Targets that were draining when the engine stopped (the control plane
   * keeps their deregistration's end): draining from the start, for what is
   * left of their delay, then gone. One already there is left as it is.
   */
  resumeDraining(targets: readonly TargetSpec[], remainingMs: number): void
  /**
   * Whether a listener forwards to the group: health checks run only then
   * (state unused, Target.NotInUse otherwise). `from`: the address health
   * checks connect from, a load balancer's that forwards to the group (AWS
   * checks from each load balancer's nodes; when several use the group, the
   * plane picks one deterministically: the lowest key). A new `from` with the
   * same `inUse` only moves the next checks. Absent: the system picks (127.0.0.1).
   */
  setInUse(inUse: boolean, from?: string): void
  /** The targets' health (draining ones included until they leave); with `targets`, those only (unregistered ones: unused, Target.NotRegistered). */
  health(targets?: readonly { id: string; port: number }[]): TargetHealth[]
  /**
   * A target for a new request or connection, per the group's algorithm and
   * stickiness; healthy targets only, or every registered non-draining target
   * when none is healthy (fail-open). undefined: no target (503).
   */
  pick(request: PickRequest): Picked | undefined
  /** Told whenever a target's state changes (the control plane: ECS replaces unhealthy tasks). */
  onChange(listener: (health: TargetHealth, previous: TargetState | undefined) => void): () => void
  close(): void
}

export interface ListenerCertificate {
  /** The certificate's ARN. */
  key: string
  certPem: string
  keyPem: string
  chainPem?: string
  /** The names it covers (SNI picks by them; `*.example.com` covers one label). */
  names: readonly string[]
  isDefault: boolean
}

export interface ForwardAction {
  type: 'forward'
  targetGroups: readonly { key: string; weight: number }[]
  /** Group-level stickiness across weighted target groups (ALB's TargetGroupStickinessConfig). */
  groupStickiness?: { enabled: boolean; durationMs: number }
}
export interface RedirectAction {
  type: 'redirect'
  /** ELBv2's RedirectActionConfig: each may use #{protocol}, #{host}, #{port}, #{path}, #{query}. */
  protocol: string
  host: string
  port: string
  path: string
  query: string
  statusCode: 'HTTP_301' | 'HTTP_302'
}
export interface FixedResponseAction {
  type: 'fixed-response'
  statusCode: string
  contentType?: string
  messageBody?: string
}
export type Action = ForwardAction | RedirectAction | FixedResponseAction

export type Condition =
  | { field: 'path-pattern'; values: readonly string[] }
  | { field: 'host-header'; values: readonly string[] }
  | { field: 'http-header'; headerName: string; values: readonly string[] }
  | { field: 'http-request-method'; values: readonly string[] }
  | { field: 'query-string'; values: readonly { key?: string; value: string }[] }
  | { field: 'source-ip'; values: readonly string[] }

export interface RuleConfig {
  /** The rule's ARN. */
  key: string
  priority: number
  conditions: readonly Condition[]
  actions: readonly Action[]
}

export interface ListenerConfig {
  /** The listener's ARN. */
  key: string
  protocol: ListenerProtocol
  port: number
  /** HTTPS / TLS only: the default first, then the others SNI may pick. */
  certificates: readonly ListenerCertificate[]
  sslPolicy?: string
  /** Non-default rules, any order (the listener sorts by priority). */
  rules: readonly RuleConfig[]
  defaultActions: readonly Action[]
}

export interface LoadBalancerConfig {
  /** The load balancer's ARN. */
  key: string
  name: string
  type: 'application' | 'network'
  /** Its 127.x address: listeners bind there. */
  address: string
  /** ALB idle timeout (attribute idle_timeout.timeout_seconds, default 60 s). */
  idleTimeoutMs: number
  /** ALB: HTTPS listeners offer HTTP/2 by ALPN (attribute routing.http2.enabled; undefined: true). */
  http2?: boolean
  listeners: readonly ListenerConfig[]
}

/** The defences' limits (each has its own test). */
export interface LbLimits {
  /** Bytes of the request line and headers together (ALB: 64 KiB; over it: 400). */
  maxHeaderBytes: number
  /** Bytes of the request line, and of each header line (ALB: 16 KiB each; over it: 400). */
  maxHeaderLineBytes: number
  /** Header lines per request. */
  maxHeaders: number
  /** A client must send its request headers within this (real time: a socket deadline). */
  headerTimeoutMs: number
  /** Concurrent client connections per listener. */
  maxConnectionsPerListener: number
  /**
   * A target must answer (headers) within this, else 504. Absent (the
   * default): the load balancer's idle timeout, as ALB ("the target did not
   * respond before the idle timeout period elapsed"); set: this instead.
   */
  targetTimeoutMs?: number
}

export const DEFAULT_LB_LIMITS: LbLimits = {
  maxHeaderBytes: 65_536,
  maxHeaderLineBytes: 16_384,
  maxHeaders: 100,
  headerTimeoutMs: 60_000,
  maxConnectionsPerListener: 10_000
}

export interface LbPlaneOptions {
  clock: Clock
  limits?: Partial<LbLimits>
}

/** The data plane: target groups and load balancers' listeners. */
export interface LbPlane {
  /** Creates the group's runtime or updates it (same key). */
  targetGroup(config: TargetGroupConfig): TargetGroupRuntime
  getTargetGroup(key: string): TargetGroupRuntime | undefined
  removeTargetGroup(key: string): void
  /**
   * Binds, rebinds or updates the load balancer's listeners to match config
   * (rules and certificates change in place, without dropping connections).
   * A port that cannot be bound throws a coded error and leaves the
   * listeners as they were.
   */
  apply(config: LoadBalancerConfig): Promise<void>
  remove(key: string): Promise<void>
  close(): Promise<void>
}

/**
 * What the ELBv2 control plane offers ECS (services' loadBalancers): target
 * registration by ARN and health as ECS needs it.
 */
export interface TargetRegistry {
  /** The group's facts ECS checks when a service names it; undefined: no such group. */
  describe(targetGroupArn: string): { arn: string; name: string; targetType: 'ip' | 'instance'; protocol: TargetGroupProtocol; port: number; loadBalancerArns: readonly string[] } | undefined
  register(targetGroupArn: string, targets: readonly TargetSpec[]): void
  /** Starts draining; resolves when the targets have left (in-flight done, or the deregistration delay passed). */
  deregister(targetGroupArn: string, targets: readonly { id: string; port: number }[]): Promise<void>
  health(targetGroupArn: string, target: { id: string; port: number }): TargetHealth | undefined
  /** Every state change of every group's targets. */
  onHealthChange(listener: (targetGroupArn: string, health: TargetHealth, previous: TargetState | undefined) => void): () => void
}

/** A certificate as the listeners need it (ACM's, or Lightsail's later). */
export interface IssuedCertificate {
  arn: string
  certPem: string
  keyPem: string
  chainPem: string
  names: readonly string[]
  notBefore: number
  notAfter: number
}

/** What the certificate authority offers the ELBv2 control plane. */
export interface CertificateSource {
  /** undefined: no such certificate, or not ISSUED (what a listener can be given). */
  get(arn: string): IssuedCertificate | undefined
  /**
   * What a listener that holds the certificate presents: an ISSUED one's
   * material, or an EXPIRED one's (ELB keeps serving a certificate past its
   * NotAfter, and clients refuse it, until it is re-imported or replaced).
   * Absent: get.
   */
  served?(arn: string): IssuedCertificate | undefined
  /** Told when a certificate is renewed (listeners re-applied with it). */
  onRenewed(listener: (arn: string) => void): () => void
}
