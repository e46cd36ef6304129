// The slice of the WebAssembly JS API the engine uses. Node provides the global;
// @types/node does not type it, and lib.dom would bring browser timers along.
declare namespace WebAssembly {
  type ImportValue = Function | Global | Memory | number
  type ModuleImports = Record<string, ImportValue>
  type Imports = Record<string, ModuleImports>
  interface ModuleExportDescriptor { name: string; kind: string }
  interface ModuleImportDescriptor { module: string; name: string; kind: string }
  class Module {
    constructor(bytes: BufferSource)
    static exports(module: Module): ModuleExportDescriptor[]
    static imports(module: Module): ModuleImportDescriptor[]
  }
  class Instance {
    constructor(module: Module, imports?: Imports)
    readonly exports: Record<string, unknown>
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number })
    readonly buffer: ArrayBuffer
    grow(pages: number): number
  }
  class Global {
    value: number | bigint
  }
  function compile(bytes: BufferSource): Promise<Module>
  function instantiate(module: Module, imports?: Imports): Promise<Instance>
}
