// The one line a user sees when jobs start through the Node backend instead of the
// native helper: printed on stderr the first time a launcher in 'auto' mode falls
// back, and never again in this process (not per job, not per engine). The reason
// stays readable on `ProcessLauncher.fallbackReason`.

let printed = false

export function noticeNodeFallback(reason: string, write: (line: string) => void = (line) => process.stderr.write(line)): void {
  if (printed) return
  printed = true
  write(`stratus: using the Node process backend (slower spawns, no rusage): ${reason}\n`)
}
