// ECS placement: the cluster query language and placeTasks (see place.ts).
export * from './query.js'
export * from './place.js'
