// Turns a LaunchRequest into a LaunchSpec, or says precisely what is wrong with it.
// Nothing is sent to a backend until the whole request is valid.
import { resolve } from 'node:path'
import { invalidRequest } from './errors.js'
import {
  FLAG_APPEND, FLAG_CREATE_DIRECTORIES, FLAG_KILL_GROUP_ON_EXIT, FLAG_PROCESS_GROUP, FLAG_STDERR_TO_STDOUT,
  type LaunchRequest, type LaunchSpec
} from './types.js'

/** Smallest memory limit accepted: below this even a shell cannot start. */
export const MIN_MEMORY_LIMIT_BYTES = 4 * 1024 * 1024
/** Largest argv + env accepted, characters (Linux refuses much less per string: 128 KiB). */
export const MAX_ARGS_BYTES = 16 * 1024 * 1024
export const MAX_ID_LENGTH = 256

function checkString(value: unknown, field: string, allowEmpty: boolean): string {
  if (typeof value !== 'string') throw invalidRequest(field, `must be a string, got ${describe(value)}`)
  if (!allowEmpty && value.length === 0) throw invalidRequest(field, 'must not be empty')
  if (value.includes('\0')) throw invalidRequest(field, 'must not contain NUL characters')
  return value
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'string' ? JSON.stringify(value) : typeof value
}

function optionalPath(value: unknown, field: string): string {
  if (value === undefined) return ''
  return resolve(checkString(value, field, false))
}

function optionalBoolean(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw invalidRequest(field, `must be a boolean, got ${describe(value)}`)
  return value
}

function currentEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const key in process.env) {
    const value = process.env[key]
    if (value !== undefined) env[key] = value
  }
  return env
}

export function checkId(id: unknown): string {
  const value = checkString(id, 'id', false)
  if (value.length > MAX_ID_LENGTH) throw invalidRequest('id', `is ${value.length} characters; the limit is ${MAX_ID_LENGTH}`, MAX_ID_LENGTH)
  return value
}

export function toLaunchSpec(request: LaunchRequest, wireId: number): LaunchSpec {
  if (request === null || typeof request !== 'object') throw invalidRequest('request', `must be an object, got ${describe(request)}`)
  const argvIn: unknown = request.argv
  if (!Array.isArray(argvIn)) throw invalidRequest('argv', `must be an array of strings, got ${describe(argvIn)}`)
  if (argvIn.length === 0) throw invalidRequest('argv', 'must name a program: it is empty')
  let bytes = 0
  const argv = argvIn.map((arg: unknown, i: number) => {
    const s = checkString(arg, `argv[${i}]`, i > 0)
    bytes += s.length + 1
    return s
  })

  let env: Record<string, string>
  if (request.env === undefined) env = currentEnv()
  else {
    const envIn: unknown = request.env
    if (envIn === null || typeof envIn !== 'object' || Array.isArray(envIn)) {
      throw invalidRequest('env', `must be an object of strings, got ${describe(envIn)}`)
    }
    env = {}
    for (const [key, value] of Object.entries(envIn as Record<string, unknown>)) {
      if (key.length === 0 || key.includes('=') || key.includes('\0')) {
        throw invalidRequest('env', `${JSON.stringify(key)} is not a valid variable name (empty, or contains '=' or NUL)`)
      }
      const text = checkString(value, `env.${key}`, true)
      env[key] = text
      bytes += key.length + text.length + 2
    }
  }
  if (bytes > MAX_ARGS_BYTES) throw invalidRequest('argv', `argv and env total ${bytes} characters; the limit is ${MAX_ARGS_BYTES}`, MAX_ARGS_BYTES)

  const cwd = request.cwd === undefined ? process.cwd() : optionalPath(request.cwd, 'cwd')
  const stdin = optionalPath(request.stdin, 'stdin')
  const stdout = optionalPath(request.stdout, 'stdout')
  const stderr = optionalPath(request.stderr, 'stderr')

  let memoryLimitBytes = 0
  if (request.memoryLimitBytes !== undefined) {
    const m: unknown = request.memoryLimitBytes
    if (typeof m !== 'number' || !Number.isSafeInteger(m)) {
      throw invalidRequest('memoryLimitBytes', `must be a whole number of bytes, got ${describe(m)}`)
    }
    if (m < MIN_MEMORY_LIMIT_BYTES) {
      throw invalidRequest('memoryLimitBytes', `is ${m}; the minimum is ${MIN_MEMORY_LIMIT_BYTES} (4 MiB)`, MIN_MEMORY_LIMIT_BYTES)
    }
    memoryLimitBytes = m
  }

  let flags = 0
  if (optionalBoolean(request.processGroup, 'processGroup', true)) flags |= FLAG_PROCESS_GROUP
  if (optionalBoolean(request.killGroupOnExit, 'killGroupOnExit', true)) flags |= FLAG_KILL_GROUP_ON_EXIT
  if (optionalBoolean(request.appendOutput, 'appendOutput', false)) flags |= FLAG_APPEND
  if (stdout !== '' && stdout === stderr) flags |= FLAG_STDERR_TO_STDOUT
  if (optionalBoolean(request.createDirectories, 'createDirectories', false)) flags |= FLAG_CREATE_DIRECTORIES

  return { wireId, argv, env, cwd, stdin, stdout, stderr, flags, memoryLimitBytes }
}
