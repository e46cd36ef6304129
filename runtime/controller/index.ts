export { WorkQueue, type WorkQueueOptions, type WorkQueueStats } from './work-queue.js'
export { againAfter, done, type ReconcileResult, type Reconciler } from './reconciler.js'
