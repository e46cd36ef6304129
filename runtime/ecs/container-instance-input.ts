// RegisterContainerInstance's input read and checked: the instance identity
// document (JSON: instanceId, instanceType, availabilityZone) and
// totalResources (CPU, MEMORY, GPU, PORTS, PORTS_UDP), each refusal naming
// the member.

import type { Resource } from './model-clusters.js'
import { invalidParameter } from './errors.js'

/** Reads an identity document's fields (JSON): instanceId, instanceType, availabilityZone. */
export function identityOf(doc: unknown): { instanceId?: string; instanceType?: string; availabilityZone?: string } {
  if (doc === undefined || doc === null) return {}
  if (typeof doc !== 'string') throw invalidParameter('instanceIdentityDocument', 'instanceIdentityDocument must be a JSON document.')
  let parsed: unknown
  try {
    parsed = JSON.parse(doc)
  } catch {
    throw invalidParameter('instanceIdentityDocument', 'instanceIdentityDocument is not valid JSON.')
  }
  if (parsed === null || typeof parsed !== 'object') throw invalidParameter('instanceIdentityDocument', 'instanceIdentityDocument must be a JSON object.')
  const out: { instanceId?: string; instanceType?: string; availabilityZone?: string } = {}
  for (const k of ['instanceId', 'instanceType', 'availabilityZone'] as const) {
    const v = (parsed as Record<string, unknown>)[k]
    if (v === undefined) continue
    if (typeof v !== 'string' || v.length === 0) throw invalidParameter(`instanceIdentityDocument.${k}`, `${k} must be a non-empty string.`)
    out[k] = v
  }
  if (out.instanceId !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(out.instanceId)) {
    throw invalidParameter('instanceIdentityDocument.instanceId', 'instanceId must be 1 to 64 letters, digits, dots, hyphens and underscores.', 64)
  }
  return out
}

export function resourcesOf(list: Resource[] | undefined): { cpu?: number; memory?: number; gpus?: number; ports?: string[]; udp?: string[] } {
  const out: { cpu?: number; memory?: number; gpus?: number; ports?: string[]; udp?: string[] } = {}
  ;(list ?? []).forEach((r, i) => {
    const at = `totalResources[${i}]`
    const int = (min: number) => {
      const v = r.integerValue ?? r.longValue ?? r.doubleValue
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw invalidParameter(`${at}.integerValue`, `The ${String(r.name)} resource must be an integer of at least ${min}.`, min)
      return v
    }
    const ports = () => {
      const v = r.stringSetValue ?? []
      if (!Array.isArray(v) || v.some((p) => !/^\d{1,5}$/.test(String(p)) || Number(p) < 1 || Number(p) > 65535)) {
        throw invalidParameter(`${at}.stringSetValue`, `The ${String(r.name)} resource must be a set of port numbers from 1 to 65535.`, '1-65535')
      }
      return v.map(String)
    }
    switch (r?.name) {
      case 'CPU': out.cpu = int(1); break
      case 'MEMORY': out.memory = int(1); break
      case 'GPU': out.gpus = int(0); break
      case 'PORTS': out.ports = ports(); break
      case 'PORTS_UDP': out.udp = ports(); break
      default: throw invalidParameter(`${at}.name`, `The resource name must be CPU, MEMORY, GPU, PORTS or PORTS_UDP, got ${String(r?.name)}.`)
    }
  })
  return out
}
