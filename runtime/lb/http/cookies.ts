// Stickiness cookies as ALB sets them: AWSALB (lb_cookie, with AWSALBCORS for
// cross-origin requests), AWSALBAPP-0 (app_cookie, once the application has
// set its own cookie) and AWSALBTG (which of a forward action's weighted target
// groups a client stays with, with AWSALBTGCORS). The values are opaque to
// clients and tamper-evident: runtime/lb/sticky.ts's codec (the one
// TargetGroup uses), bound to the group and carrying the expiry.

export { decodeSticky, encodeSticky } from '../sticky.js'

/** One cookie's value from a Cookie header (first occurrence), without splitting the whole header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  let from = 0
  for (;;) {
    const at = header.indexOf(name, from)
    if (at < 0) return undefined
    const before = at === 0 ? ';' : header[at - 1]!
    const after = header[at + name.length]
    if ((before === ';' || before === ' ') && after === '=') {
      const start = at + name.length + 1
      const end = header.indexOf(';', start)
      return (end < 0 ? header.slice(start) : header.slice(start, end)).trim()
    }
    from = at + name.length
  }
}

/** The Set-Cookie values for a pin lasting durationMs from nowMs (the plain cookie and its CORS twin). */
export function setCookies(name: string, value: string, nowMs: number, durationMs: number, cors: boolean): string[] {
  const expires = new Date(nowMs + durationMs).toUTCString()
  const plain = `${name}=${value}; Expires=${expires}; Path=/`
  return cors ? [plain, `${name}CORS=${value}; Expires=${expires}; Path=/; SameSite=None; Secure`] : [plain]
}

/** Whether a target's raw response headers set the application cookie `name`. */
export function setsCookie(raw: readonly string[], name: string): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'set-cookie' && raw[i + 1]!.trimStart().startsWith(`${name}=`)) return true
  }
  return false
}
