// Runner reports (a sandbox running, exited, failed to start) that arrive in
// the same tick, gathered so the TaskLauncher records them in ONE store
// transaction: a durable store pays per commit, and runners report in bursts
// (the simulated runner starts a whole dispatch round in one microtask; a
// clock advance ends every task due at once).
//
// The batch is handled in a microtask after the first report, before any
// timer or I/O callback can run, so nothing outside the engine's own
// microtasks sees the reports later than before. Reports are handled in the
// order they arrived, a task's running and exit in the same tick included.

export class ReportBatch<R extends { runId: string }> {
  readonly #handle: (reports: R[]) => void
  #reports: R[] = []
  readonly #waiting = new Map<string, R>()
  #scheduled = false

  /** handle gets every report of a batch, in arrival order. */
  constructor(handle: (reports: R[]) => void) {
    this.#handle = handle
  }

  add(report: R): void {
    this.#reports.push(report)
    this.#waiting.set(report.runId, report)
    if (!this.#scheduled) {
      this.#scheduled = true
      queueMicrotask(this.#flushScheduled)
    }
  }

  /** The last report waiting for runId, if one does. */
  waiting(runId: string): R | undefined {
    return this.#waiting.get(runId)
  }

  #flush(): void {
    if (this.#reports.length === 0) return
    const reports = this.#reports
    this.#reports = []
    this.#waiting.clear()
    this.#handle(reports)
  }

  readonly #flushScheduled = (): void => {
    this.#scheduled = false
    this.#flush()
  }
}
