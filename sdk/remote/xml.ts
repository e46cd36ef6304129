// A small XML reader for awsQuery answers (IAM's `<OpResponse><OpResult>…`,
// `<ErrorResponse><Error><Code>…`): elements, text, the five named entities
// and numeric character references, CDATA; the prolog, comments and
// attributes are skipped (awsQuery answers carry only xmlns). What it cannot
// read is refused with an error naming the offset, never half-read.

import { InternalError } from '../../runtime/index.js'

export interface XmlElement {
  readonly name: string
  readonly children: XmlElement[]
  /** The element's text (its character data, entities resolved; '' when it has children only). */
  text: string
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

function unescape(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16))
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10))
    return ENTITIES[ref] ?? whole
  })
}

function malformed(at: number, why: string): InternalError {
  return new InternalError('MalformedXml', `the server's XML answer cannot be read at offset ${at}: ${why}`)
}

/** The document's root element. */
export function parseXml(source: string): XmlElement {
  const root: XmlElement = { name: '', children: [], text: '' }
  const open: XmlElement[] = [root]
  let at = 0
  while (at < source.length) {
    const lt = source.indexOf('<', at)
    const textEnd = lt < 0 ? source.length : lt
    if (textEnd > at) open[open.length - 1].text += unescape(source.slice(at, textEnd))
    if (lt < 0) break
    if (source.startsWith('<![CDATA[', lt)) {
      const end = source.indexOf(']]>', lt)
      if (end < 0) throw malformed(lt, 'unterminated CDATA')
      open[open.length - 1].text += source.slice(lt + 9, end)
      at = end + 3
      continue
    }
    if (source.startsWith('<?', lt) || source.startsWith('<!', lt)) {
      const end = source.startsWith('<!--', lt) ? source.indexOf('-->', lt) + 2 : source.indexOf('>', lt)
      if (end < lt + 1) throw malformed(lt, 'unterminated declaration')
      at = end + 1
      continue
    }
    const gt = source.indexOf('>', lt)
    if (gt < 0) throw malformed(lt, 'unterminated tag')
    const tag = source.slice(lt + 1, gt)
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim()
      const current = open.pop()
      if (current === undefined || current === root || current.name !== name) throw malformed(lt, `</${name}> closes nothing open`)
      if (current.children.length > 0 && current.text.trim() === '') current.text = ''
    } else {
      const selfClosing = tag.endsWith('/')
      const name = (selfClosing ? tag.slice(0, -1) : tag).trim().split(/\s/)[0]
      if (name === '') throw malformed(lt, 'an empty tag')
      const element: XmlElement = { name, children: [], text: '' }
      open[open.length - 1].children.push(element)
      if (!selfClosing) open.push(element)
    }
    at = gt + 1
  }
  if (open.length !== 1) throw malformed(source.length, `<${open[open.length - 1].name}> is not closed`)
  const [document] = root.children
  if (document === undefined || root.children.length !== 1) throw malformed(0, 'not one root element')
  return document
}

/** The first child named `name`. */
export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name)
}
