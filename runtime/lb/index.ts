// The load balancers' data plane (see README.md): the contract the control
// planes code against (model.ts), the plane that owns target groups and
// listeners, the target groups, and the ALB (http/) and NLB (tcp.ts) listeners.
export * from './model.js'
export { LoadBalancerPlane, type Listener, type ListenerOpener, type LoadBalancerPlaneOptions, type TargetGroupFactory } from './plane.js'
export { TargetGroup, type TargetGroupOptions } from './target-group.js'
export { HttpListener, type HttpListenerOptions } from './http/index.js'
export { TcpListener, TCP_IDLE_TIMEOUT_MS, type ListenerOptions } from './tcp.js'
export { UDP_IDLE_TIMEOUT_MS } from './tcp-udp.js'
export { DEFAULT_SSL_POLICY, TLS_POLICIES, tlsPolicy, tlsPolicyOptions, type TlsPolicy } from './tls-policies.js'
export { forwardedGroups } from './tcp-forward.js'
