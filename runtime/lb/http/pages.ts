// What the load balancer itself answers, as ALB does: small HTML error pages
// (`<html><head><title>502 Bad Gateway</title></head>…`) with `Server:
// awselb/2.0`, prebuilt once per status so an error costs no formatting.

import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'

const REASONS: Record<number, string> = {
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Time-out',
  413: 'Request Entity Too Large',
  431: 'Request Header Fields Too Large',
  460: '',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out'
}

export function reason(status: number): string {
  return REASONS[status] ?? STATUS_CODES[status] ?? ''
}

const pages = new Map<number, Buffer>()

/** The HTML page ALB answers with for status. */
export function page(status: number): Buffer {
  let body = pages.get(status)
  if (body === undefined) {
    const title = `${status} ${reason(status)}`.trimEnd()
    body = Buffer.from(`<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`)
    pages.set(status, body)
  }
  return body
}

/** The same page written raw on a socket (parser errors, refused upgrades), then the connection closed. */
export function writeRawPage(socket: Socket, status: number, date: string): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const body = page(status)
  socket.end(
    `HTTP/1.1 ${status} ${reason(status)}\r\nServer: awselb/2.0\r\nDate: ${date}\r\nContent-Type: text/html\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n` + body.toString('latin1')
  )
}
