// The flat boundary between the host and the placement core.
//
// The host lays every column out in linear memory and passes one pointer to a
// header of i32 slots naming them (see README.md, "Memory layout"). Every value
// here is mirrored by runtime/scheduler/abi.ts; a test reads these exported
// globals from the compiled module and checks that both sides agree.

// ---- header slots (i32 each) -------------------------------------------------
export const H_NODE_COUNT: i32 = 0
export const H_TASK_COUNT: i32 = 1
export const H_NODE_FREE_CPU: i32 = 2 //       i32[nodes]  millicores
export const H_NODE_FREE_MEM: i32 = 3 //       i32[nodes]  MiB
export const H_NODE_FREE_GPU: i32 = 4 //       i32[nodes]
export const H_NODE_TOTAL_CPU: i32 = 5 //      i32[nodes]
export const H_NODE_TOTAL_MEM: i32 = 6 //      i32[nodes]
export const H_NODE_TOTAL_GPU: i32 = 7 //      i32[nodes]
export const H_NODE_STATUS: i32 = 8 //         u8[nodes]   NODE_*
export const H_NODE_ATTRS: i32 = 9 //          i32[ATTR_COUNT * nodes], column k at k * nodes
export const H_NODE_TASKS: i32 = 10 //         i32[nodes]  tasks already running there
export const H_PAIR_COUNT: i32 = 11
export const H_PAIRS: i32 = 12 //              i32[3 * pairs]  (group, node, count) already running
export const H_TASK_CPU: i32 = 13 //           i32[tasks]
export const H_TASK_MEM: i32 = 14 //           i32[tasks]
export const H_TASK_GPU: i32 = 15 //           i32[tasks]
export const H_TASK_GROUP: i32 = 16 //         i32[tasks]  0 = no group
export const H_TASK_STRATEGY: i32 = 17 //      u8[tasks]   STRATEGY_*
export const H_TASK_SPREAD_ATTR: i32 = 18 //   i8[tasks]   SPREAD_NODE or an attribute index
export const H_TASK_FLAGS: i32 = 19 //         u8[tasks]   FLAG_*
export const H_TASK_CONSTRAINT_ATTR: i32 = 20 // i8[tasks] CONSTRAINT_NONE or an attribute index
export const H_TASK_CONSTRAINT_OFFSET: i32 = 21 // i32[tasks] into the value pool
export const H_TASK_CONSTRAINT_LENGTH: i32 = 22 // i32[tasks]
export const H_VALUE_COUNT: i32 = 23
export const H_VALUES: i32 = 24 //             i32[values]  attribute value ids for memberOf sets
export const H_TASK_WAIT: i32 = 25 //          i32[tasks]  scheduling rounds already waited
export const H_TASK_ORDER: i32 = 26 //         i32[tasks]  dispatch order (a permutation), or 0 = as given
export const H_SEED: i32 = 27 //               u32 seed of the random strategy
export const H_AGING: i32 = 28 //              rounds after which a task that does not fit reserves a node (0 = never)
export const H_OUT_NODE: i32 = 29 //           i32[tasks]  node index, or -1
export const H_OUT_REASON: i32 = 30 //         u8[tasks]   REASON_* (| REASON_RESERVED_BIT)
export const H_METRICS: i32 = 31 //            f64[METRIC_COUNT]
export const H_SCRATCH: i32 = 32 //            scratch area, scratchBytes(header) long
export const H_SCRATCH_BYTES: i32 = 33
// Extensions (ECS placement): pools and one per-task record column, all
// optional. A batch without them (Batch's) leaves these slots 0 and pays
// nothing per task: the core reads the extension record only when H_TASK_EXT
// is set.
export const H_CHAIN_COUNT: i32 = 34
export const H_CHAINS: i32 = 35 //             i32[2 * chains]  (strategy, spread attribute): tie-breakers after a task's first strategy
export const H_LIST_COUNT: i32 = 36
export const H_LISTS: i32 = 37 //              i32[3 * lists]   (attribute, value offset, value length): memberOf sets beyond the first
export const H_PORT_COUNT: i32 = 38
export const H_PORTS: i32 = 39 //              i32[ports]       port keys a task needs (PORT_UDP_BIT | number)
export const H_USED_PORT_COUNT: i32 = 40
export const H_USED_PORTS: i32 = 41 //         i32[2 * used]    (node, port key) already taken on nodes
export const H_TASK_EXT: i32 = 42 //           i32[EXT_SLOTS * tasks] or 0: per task its EXT_* slots
export const HEADER_SLOTS: i32 = 43

// ---- the per-task extension record (EXT_SLOTS i32 per task) ------------------------
export const EXT_CHAIN_OFFSET: i32 = 0 //  into the chain pool
export const EXT_CHAIN_LENGTH: i32 = 1 //  tie-breakers, at most CHAIN_MAX - 1
export const EXT_LIST_OFFSET: i32 = 2 //   into the constraint-list pool
export const EXT_LIST_LENGTH: i32 = 3 //   extra memberOf sets, at most CONSTRAINT_MAX - 1
export const EXT_PORT_OFFSET: i32 = 4 //   into the port pool
export const EXT_PORT_LENGTH: i32 = 5
export const EXT_SLOTS: i32 = 6
export const CHAIN_MAX: i32 = 5 //         strategies per task (ECS's limit), the first in H_TASK_STRATEGY
export const CONSTRAINT_MAX: i32 = 10 //   memberOf sets per task (ECS's limit on constraints), the first in H_TASK_CONSTRAINT_*
export const PORT_UDP_BIT: i32 = 0x10000 // a port key: number (1..65535) | PORT_UDP_BIT for udp

// ---- node attributes -----------------------------------------------------------
export const ATTR_ZONE: i32 = 0
export const ATTR_INSTANCE_TYPE: i32 = 1
export const ATTR_CUSTOM_FIRST: i32 = 2 //  custom attributes 2..9
export const ATTR_COUNT: i32 = 10

// ---- node status ---------------------------------------------------------------
export const NODE_ACTIVE: i32 = 0
export const NODE_DRAINING: i32 = 1
export const NODE_INACTIVE: i32 = 2

// ---- strategies ------------------------------------------------------------------
export const STRATEGY_BINPACK_CPU: i32 = 0 //    fewest remaining millicores
export const STRATEGY_BINPACK_MEMORY: i32 = 1 // fewest remaining MiB
export const STRATEGY_BESTFIT: i32 = 2 //        least normalised leftover of cpu + memory
export const STRATEGY_SPREAD: i32 = 3 //         even counts over an attribute or over nodes
export const STRATEGY_RANDOM: i32 = 4 //         seeded
export const STRATEGY_COUNT: i32 = 5
export const SPREAD_NODE: i32 = -1
export const CONSTRAINT_NONE: i32 = -1

// ---- task flags ------------------------------------------------------------------
export const FLAG_DISTINCT_INSTANCE: i32 = 1

// ---- reasons (plan output) -----------------------------------------------------
export const REASON_PLACED: i32 = 0
export const REASON_CPU: i32 = 1
export const REASON_MEMORY: i32 = 2
export const REASON_GPU: i32 = 3
export const REASON_CONSTRAINT: i32 = 4
export const REASON_NO_ACTIVE_NODE: i32 = 5
export const REASON_PORTS: i32 = 6 //  a static host port the task needs is taken on every node that has the capacity
export const REASON_RESERVED_BIT: i32 = 0x80 // set with the reason: not placed, but the node in OUT_NODE is held for it

// ---- metrics (f64 each) ------------------------------------------------------------
export const M_PLACED: i32 = 0
export const M_FAILED: i32 = 1
export const M_NODES_EVALUATED: i32 = 2 //     leaves visited by searches and failure scans
export const M_FILTERED_CPU: i32 = 3
export const M_FILTERED_MEMORY: i32 = 4
export const M_FILTERED_GPU: i32 = 5
export const M_FILTERED_CONSTRAINT: i32 = 6
export const M_FILTERED_INACTIVE: i32 = 7
export const M_RESERVATIONS: i32 = 8
export const M_FAILURE_SCANS: i32 = 9 //       full scans made to explain a failure
export const M_CONTEXT_BUILDS: i32 = 10 //     spread contexts (re)built
export const M_INDEX_VISITS: i32 = 11 //       capacity-index records a search descended into
export const M_FILTERED_PORTS: i32 = 12 //     nodes ruled out by a taken host port
export const METRIC_COUNT: i32 = 13

// ---- status codes returned by exports --------------------------------------------
export const STATUS_OK: i32 = 0
export const STATUS_SCRATCH_TOO_SMALL: i32 = 1
export const STATUS_OUT_OF_BOUNDS: i32 = 2 //     a column lies outside linear memory
// STATUS_INVALID_BASE + header slot: a value in that column is out of its range
export const STATUS_INVALID_BASE: i32 = 100
