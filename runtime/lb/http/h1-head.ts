// HTTP/1.1 message heads, parsed strictly for a proxy (RFC 9112): a request
// or response line and header fields, and from them the body's framing. A
// proxy that frames a message differently from the server behind it can be
// made to smuggle a second request inside the first, so every ambiguity is
// refused rather than guessed at: bare CR or LF, obs-fold, a space before a
// colon, Content-Length with Transfer-Encoding, two different lengths, a
// transfer coding that does not end in `chunked`.
//
// Heads arrive as latin1 text (one byte per char), so the bytes survive the
// round trip unchanged. Parsing never throws: a request answers with the
// status ALB would send (400, 505), a response with undefined (502).

/** How a message's body is delimited. */
export const enum Framing {
  None = 0,
  Length = 1,
  Chunked = 2,
  /** A response read until the target closes the connection. */
  UntilClose = 3
}

export interface RequestHead {
  method: string
  /** The request target as sent (origin-form, absolute-form, `*`). */
  url: string
  /** 0: HTTP/1.0, 1: HTTP/1.1. */
  minor: number
  /** Node's flat raw form: [name, value, name, value, …], case and order kept. */
  rawHeaders: string[]
  /** Lowercased names → values (repeats joined with `, `, cookies with `; `, set-cookie an array). */
  headers: Record<string, string | string[] | undefined>
  framing: Framing
  /** Framing.Length: the body's bytes. */
  length: number
  /** Framing.Chunked: the Transfer-Encoding value as sent (`chunked`, `gzip, chunked`). */
  transferEncoding: string
  /** The client wants the connection kept after this exchange. */
  keepAlive: boolean
  /** Connection: upgrade with an Upgrade header (WebSocket and the like). */
  upgrade: boolean
}

export interface ResponseHead {
  status: number
  message: string
  minor: number
  rawHeaders: string[]
  framing: Framing
  length: number
  transferEncoding: string
  /** The target will keep the connection open after this response. */
  keepAlive: boolean
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** Control characters other than HTAB (and DEL) may not appear in a field value. */
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/
/** A CR not followed by LF, or an LF not preceded by CR. */
const BARE_CR_LF = /\r(?!\n)|(?<!\r)\n/
const BAD_TARGET = /[\x00-\x20\x7f]/
const DIGITS = /^[0-9]{1,15}$/

function trimOws(s: string): string {
  let a = 0
  let b = s.length
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--
  return a === 0 && b === s.length ? s : s.slice(a, b)
}

/** Whether a comma-separated header value lists token (lowercase) as one of its elements. */
export function listHas(value: string | undefined, token: string): boolean {
  if (value === undefined) return false
  const lower = value.toLowerCase()
  if (lower === token) return true
  if (!lower.includes(token)) return false
  for (const part of lower.split(',')) if (trimOws(part) === token) return true
  return false
}

interface Fields {
  raw: string[]
  headers: Record<string, string | string[] | undefined>
  /** Every Content-Length value seen, comma lists split. */
  lengths: string[] | undefined
  te: string | undefined
  connection: string | undefined
  hosts: number
}

/** Header lines from `from` (after the start line) to the end of text (the blank line already cut). */
function parseFields(text: string, from: number, maxHeaders: number, maxLineBytes = Infinity): Fields | number {
  const raw: string[] = []
  const headers: Record<string, string | string[] | undefined> = Object.create(null)
  let lengths: string[] | undefined
  let te: string | undefined
  let connection: string | undefined
  let hosts = 0
  let at = from
  const end = text.length
  while (at < end) {
    let eol = text.indexOf('\r\n', at)
    if (eol < 0) eol = end
    if (eol - at > maxLineBytes) return 400
    const line = text.slice(at, eol)
    at = eol + 2
    const colon = line.indexOf(':')
    // No colon, an empty name, obs-fold (a leading space) or a space before the colon: 400.
    if (colon <= 0) return 400
    const name = line.slice(0, colon)
    if (!TOKEN.test(name)) return 400
    const value = trimOws(line.slice(colon + 1))
    if (BAD_VALUE.test(value)) return 400
    raw.push(name, value)
    if (raw.length > maxHeaders * 2) return 400
    const lower = name.toLowerCase()
    const prior = headers[lower]
    if (prior === undefined) headers[lower] = lower === 'set-cookie' ? [value] : value
    else if (Array.isArray(prior)) prior.push(value)
    else headers[lower] = `${prior}${lower === 'cookie' ? '; ' : ', '}${value}`
    switch (lower) {
      case 'content-length':
        lengths ??= []
        for (const part of value.split(',')) lengths.push(trimOws(part))
        break
      case 'transfer-encoding':
        te = te === undefined ? value : `${te}, ${value}`
        break
      case 'connection':
        connection = connection === undefined ? value : `${connection}, ${value}`
        break
      case 'host':
        hosts++
        break
    }
  }
  return { raw, headers, lengths, te, connection, hosts }
}

/** One length from the Content-Length values (identical repeats allowed); -1: invalid or conflicting. */
function contentLength(lengths: readonly string[]): number {
  const first = lengths[0]!
  if (!DIGITS.test(first)) return -1
  for (let i = 1; i < lengths.length; i++) if (lengths[i] !== first) return -1
  return Number(first)
}

/** Whether a Transfer-Encoding value's last coding is chunked (and every coding is a token). */
function endsChunked(te: string): boolean {
  const codings = te.split(',')
  for (const c of codings) if (!TOKEN.test(trimOws(c))) return false
  return trimOws(codings[codings.length - 1]!).toLowerCase() === 'chunked'
}

/**
 * A request head: text is from the request line to the end of the last
 * header line, without the blank line. A number: the status to answer with
 * (the connection is then closed).
 */
export function parseRequestHead(text: string, maxHeaders: number, maxLineBytes = Infinity): RequestHead | number {
  if (BARE_CR_LF.test(text)) return 400
  let eol = text.indexOf('\r\n')
  if (eol < 0) eol = text.length
  // ALB: 16 K per request line and per header, else 400.
  if (eol > maxLineBytes) return 400
  const line = text.slice(0, eol)
  const sp1 = line.indexOf(' ')
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1)
  if (sp1 <= 0 || sp2 < 0 || line.indexOf(' ', sp2 + 1) >= 0) return 400
  const method = line.slice(0, sp1)
  const url = line.slice(sp1 + 1, sp2)
  const version = line.slice(sp2 + 1)
  if (!TOKEN.test(method) || url === '' || BAD_TARGET.test(url)) return 400
  let minor: number
  if (version === 'HTTP/1.1') minor = 1
  else if (version === 'HTTP/1.0') minor = 0
  else return /^HTTP\/[0-9]\.[0-9]$/.test(version) ? 505 : 400

  const fields = parseFields(text, eol + 2, maxHeaders, maxLineBytes)
  if (typeof fields === 'number') return fields
  // Host: exactly one in HTTP/1.1 (RFC 9112 §3.2), at most one in 1.0.
  if (fields.hosts > 1 || (minor === 1 && fields.hosts === 0)) return 400

  let framing = Framing.None
  let length = 0
  let transferEncoding = ''
  if (fields.te !== undefined) {
    // Content-Length beside Transfer-Encoding is how CL.TE / TE.CL smuggling starts: refused.
    if (fields.lengths !== undefined || minor === 0 || !endsChunked(fields.te)) return 400
    framing = Framing.Chunked
    transferEncoding = fields.te
  } else if (fields.lengths !== undefined) {
    length = contentLength(fields.lengths)
    if (length < 0) return 400
    if (length > 0) framing = Framing.Length
  }
  const connection = fields.connection
  const keepAlive = minor === 1 ? !listHas(connection, 'close') : listHas(connection, 'keep-alive')
  const upgrade = fields.headers.upgrade !== undefined && listHas(connection, 'upgrade')
  return { method, url, minor, rawHeaders: fields.raw, headers: fields.headers, framing, length, transferEncoding, keepAlive, upgrade }
}

/** A response head (text without the blank line); undefined: malformed (502). */
export function parseResponseHead(text: string, requestMethod: string, maxHeaders: number): ResponseHead | undefined {
  if (BARE_CR_LF.test(text)) return undefined
  let eol = text.indexOf('\r\n')
  if (eol < 0) eol = text.length
  const line = text.slice(0, eol)
  // HTTP/1.x SP 3DIGIT SP reason (the reason may be empty, the space before it not always sent).
  if (line.length < 12 || !line.startsWith('HTTP/1.') || line.charCodeAt(8) !== 32) return undefined
  const minorCode = line.charCodeAt(7) - 48
  if (minorCode !== 0 && minorCode !== 1) return undefined
  const code = line.slice(9, 12)
  if (!/^[1-9][0-9][0-9]$/.test(code) || (line.length > 12 && line.charCodeAt(12) !== 32)) return undefined
  const status = Number(code)
  const message = line.length > 13 ? line.slice(13) : ''
  if (BAD_VALUE.test(message)) return undefined

  const fields = parseFields(text, eol + 2, maxHeaders)
  if (typeof fields === 'number') return undefined

  let framing = Framing.UntilClose
  let length = 0
  let transferEncoding = ''
  if (requestMethod === 'HEAD' || status < 200 || status === 204 || status === 304) {
    framing = Framing.None
  } else if (fields.te !== undefined) {
    if (fields.lengths !== undefined) return undefined
    if (endsChunked(fields.te)) {
      framing = Framing.Chunked
      transferEncoding = fields.te
    }
  } else if (fields.lengths !== undefined) {
    length = contentLength(fields.lengths)
    if (length < 0) return undefined
    framing = length > 0 ? Framing.Length : Framing.None
  }
  const connection = fields.connection
  const keepAlive = framing !== Framing.UntilClose && (minorCode === 1 ? !listHas(connection, 'close') : listHas(connection, 'keep-alive'))
  return { status, message, minor: minorCode, rawHeaders: fields.raw, framing, length, transferEncoding, keepAlive }
}

/** Where the blank line ending a head starts in buf (from `from`), or -1. */
export function headEnd(buf: Buffer, from: number): number {
  return buf.indexOf('\r\n\r\n', from, 'latin1')
}
