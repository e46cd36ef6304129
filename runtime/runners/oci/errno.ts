// An errno the shim or init reported (a number from the container's side), as words.
import { getSystemErrorMap } from 'node:util'

/** `ENOENT (no such file or directory)`; the number itself when Node does not know it. */
export function getSystemErrorMessage(errno: number): string {
  const known = getSystemErrorMap().get(-errno)
  return known === undefined ? `errno ${errno}` : `${known[0]} (${known[1]})`
}
