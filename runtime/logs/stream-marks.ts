// A stream's lines and their times. The marks sidecar says "the bytes before
// offset O had been seen by time T": a line's time is the first mark at or
// past its end. Bytes past the last mark are stamped with the reader's `now`
// (the caller bounds it by the attempt's end); while the attempt runs that
// stamp is written to the sidecar, so a line keeps the time it was first
// seen, and a line followed live (`aws logs tail`, get-log-events polling)
// gets a time close to when it was written.

import { appendFileSync, mkdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname } from 'node:path'

export interface StreamEvent {
  /** Epoch ms. */
  timestamp: number
  message: string
}

export interface StreamRead {
  events: StreamEvent[]
  /** Bytes in the file. */
  size: number
  /** The time of the first and of the last mark (undefined: the stream holds nothing yet). */
  firstSeen?: number
  lastSeen?: number
}

interface Mark {
  offset: number
  time: number
}

async function readMarks(path: string): Promise<Mark[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    return []
  }
  const marks: Mark[] = []
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ')
    if (space < 0) continue
    const offset = Number(line.slice(0, space))
    const time = Number(line.slice(space + 1))
    // A torn last line (a crash mid-append) is skipped; marks only grow.
    if (Number.isInteger(offset) && Number.isFinite(time) && offset > (marks.at(-1)?.offset ?? 0)) marks.push({ offset, time })
  }
  return marks
}

export async function readStream(path: string, marksPath: string, options: { now: number; live: boolean }): Promise<StreamRead> {
  let data: Buffer
  try {
    data = await readFile(path)
  } catch {
    data = Buffer.alloc(0)
  }
  const marks = await readMarks(marksPath)
  const last = marks.at(-1)
  if (data.length > (last?.offset ?? 0)) {
    // Times never go back: bytes seen later are no older than those seen before.
    const mark = { offset: data.length, time: Math.max(options.now, last?.time ?? options.now) }
    marks.push(mark)
    if (options.live) {
      try {
        mkdirSync(dirname(marksPath), { recursive: true })
        appendFileSync(marksPath, `${mark.offset} ${mark.time}\n`)
      } catch {
        // A read-only data dir: the times stay approximate (this read's), nothing else is lost.
      }
    }
  }
  const events: StreamEvent[] = []
  let start = 0
  let m = 0
  while (start < data.length) {
    const nl = data.indexOf(10, start)
    // The last line while the attempt still writes: not an event until its newline arrives.
    if (nl < 0 && options.live) break
    const end = nl < 0 ? data.length : nl
    while (m < marks.length - 1 && marks[m].offset < end + (nl < 0 ? 0 : 1)) m++
    events.push({ timestamp: marks[m].time, message: data.toString('utf8', start, end) })
    start = end + 1
  }
  return {
    events,
    size: data.length,
    ...(marks.length > 0 ? { firstSeen: marks[0].time, lastSeen: marks[marks.length - 1].time } : {})
  }
}
