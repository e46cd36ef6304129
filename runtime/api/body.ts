// Reading a request body with a size limit: a declared Content-Length over
// the limit is refused before anything is read; a body that grows past it
// while streaming is refused as soon as it does.

import type { IncomingMessage } from 'node:http'
import { bodyTooLarge } from './errors.js'

const EMPTY = Buffer.alloc(0)

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(bodyTooLarge(limit))
  if (declared === '0' || req.complete) return Promise.resolve(EMPTY)
  return new Promise((resolve, reject) => {
    let first: Buffer | undefined
    let chunks: Buffer[] | undefined
    let size = 0
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limit) {
        cleanup()
        // The rest is not read: the connection closes after the answer.
        req.pause()
        reject(bodyTooLarge(limit))
        return
      }
      if (first === undefined) first = chunk
      else (chunks ??= [first]).push(chunk)
    }
    const onEnd = (): void => {
      cleanup()
      resolve(chunks !== undefined ? Buffer.concat(chunks, size) : first ?? EMPTY)
    }
    const onError = (err: Error): void => {
      cleanup()
      reject(err)
    }
    const cleanup = (): void => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
  })
}
